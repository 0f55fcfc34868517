//! The layers' rule (issue 24, docs/architecture.md to come): the handlers (`endpoints/`) are
//! the HTTP edge, and nothing below them reads them. Rules, the store, the domain and the
//! admin tool must not import a handler module; a rule they share lives in its own module
//! (`registration.rs`, `password/`) instead. This test reads the sources, so a new import of
//! a handler from outside the edge fails here before review.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The HTTP edge: where a handler may be named.
const EDGE: [&str; 4] = [
    "shared/src/endpoints/",
    "shared/src/lib.rs",
    "shared/src/app.rs",
    "shared/src/error.rs",
];

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

#[test]
fn no_handler_module_is_imported_from_below_the_http_edge() {
    let mut files = Vec::new();
    for dir in ["shared/src", "admin/src"] {
        rust_files(&Path::new(REPO).join(dir), &mut files);
    }
    assert!(files.len() > 50, "read the sources: {}", files.len());
    let mut offenders = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(REPO)
            .unwrap()
            .to_string_lossy()
            .trim_start_matches('/')
            .to_owned();
        if EDGE.iter().any(|edge| relative.starts_with(edge)) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.contains("endpoints::") && !line.trim_start().starts_with("//") {
                offenders.push(format!("{relative}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "handler modules used below the HTTP edge:\n{}",
        offenders.join("\n")
    );
}
