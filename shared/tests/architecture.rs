//! The layers' rules (docs/architecture.md), read from the sources so that a change that
//! breaks one fails here before review:
//! - the HTTP edge (handlers, request reading, envelopes, the route table, access tokens,
//!   the runtime) is the only place that knows HTTP: no module below it, and nothing in the
//!   admin tool, names `lambda_http`, a handler module or another edge module;
//! - the store is the only place that knows DynamoDB keys: nothing outside `store/` names
//!   its `keys` module or writes a key's text (`company#…#profile#…`, `…#identifier#…`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The HTTP edge of the shared crate.
const EDGE: [&str; 8] = [
    "shared/src/endpoints/",
    "shared/src/app.rs",
    "shared/src/envelope.rs",
    "shared/src/request.rs",
    "shared/src/routes.rs",
    "shared/src/auth/",
    "shared/src/telemetry.rs",
    "shared/src/lib.rs",
];

/// What only the edge may name.
const EDGE_ONLY: [&str; 12] = [
    "lambda_http",
    "endpoints::",
    "crate::request",
    "crate::envelope",
    "crate::app",
    "crate::routes",
    "idp_core::request",
    "idp_core::envelope",
    "idp_core::app",
    "idp_core::App",
    "idp_core::serve",
    "idp_core::routes",
];

/// What only the store may name or write.
const STORE_ONLY: [&str; 4] = ["keys::", "company#", "#identifier#", "#profile#"];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// (path from the repository, text) of every Rust source under `dirs`.
fn sources(dirs: &[&str]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in dirs {
        rust_files(&Path::new(REPO).join(dir), &mut files);
    }
    files
        .into_iter()
        .map(|file| {
            let relative = file
                .strip_prefix(REPO)
                .unwrap()
                .to_string_lossy()
                .trim_start_matches('/')
                .to_owned();
            (relative, std::fs::read_to_string(&file).unwrap())
        })
        .collect()
}

/// Lines of `text` (comments left out) that contain one of `words`.
fn offending_lines(relative: &str, text: &str, words: &[&str]) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| words.iter().any(|word| line.contains(word)))
        .map(|(n, line)| format!("{relative}:{}: {}", n + 1, line.trim()))
        .collect()
}

#[test]
fn nothing_below_the_http_edge_knows_http_or_a_handler() {
    let files = sources(&["shared/src", "admin/src"]);
    assert!(files.len() > 50, "read the sources: {}", files.len());
    let mut offenders = Vec::new();
    for (relative, text) in &files {
        if EDGE.iter().any(|edge| relative.starts_with(edge)) {
            continue;
        }
        offenders.extend(offending_lines(relative, text, &EDGE_ONLY));
    }
    assert!(
        offenders.is_empty(),
        "HTTP edge modules used below the edge (docs/architecture.md):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn no_store_key_is_built_outside_the_store() {
    let files = sources(&["shared/src", "admin/src", "functions/src"]);
    let mut offenders = Vec::new();
    for (relative, text) in &files {
        if relative.starts_with("shared/src/store/") {
            continue;
        }
        // `auth/jwt/keys` are signing keys, not the store's.
        let words: Vec<&str> = STORE_ONLY
            .iter()
            .copied()
            .filter(|word| !(relative.starts_with("shared/src/auth/jwt/") && *word == "keys::"))
            .collect();
        offenders.extend(offending_lines(relative, text, &words));
    }
    assert!(
        offenders.is_empty(),
        "store keys named or built outside shared/src/store (docs/architecture.md):\n{}",
        offenders.join("\n")
    );
}

/// The checks above see what they are meant to: a line of each kind is caught.
#[test]
fn the_checks_catch_what_they_look_for() {
    let edge = offending_lines(
        "shared/src/rules/x.rs",
        "use crate::endpoints::login;\n// crate::request in a comment\nuse lambda_http::Request;",
        &EDGE_ONLY,
    );
    assert_eq!(edge.len(), 2, "{edge:?}");
    let store = offending_lines(
        "admin/src/x.rs",
        "let k = idp_core::store::keys::profile(&c, id);\nlet k = format!(\"company#{c}#profile#{id}\");",
        &STORE_ONLY,
    );
    assert_eq!(store.len(), 2, "{store:?}");
}
