//! `idp-admin import` and `export` (API.md §7) against DynamoDB Local and the served
//! functions: every hash family logs in, weak ones never sit in the table as fast hashes, a
//! rejected line gets Create's answer, re-runs and kills leave exactly the file's profiles,
//! and a company exported and imported elsewhere logs everyone in with the same password.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use blackbox_tests::{
    Api, REPO, add_password, assert_consistent, authenticator, fresh_company, remember_secrets,
    scan_everything, settled_step, token, vectors_python,
};
use idp_core::store::Tables;
use serde_json::{Value, json};

const ADMIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/debug/idp-admin");
const UPGRADED: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// One known-answer vector of tests/vectors/make_vectors.py.
#[derive(Debug, Clone, serde::Deserialize)]
struct Vector {
    format: String,
    password: String,
    hash: String,
    weak: bool,
    source: String,
}

/// Fresh vectors from the independent implementations (hashlib, crypt(3), bcrypt,
/// argon2-cffi), made at test time with random salts.
fn vectors() -> Vec<Vector> {
    let out = vectors_python(&[format!("{REPO}/tests/vectors/make_vectors.py")]);
    let vectors: Vec<Vector> = serde_json::from_slice(&out).unwrap();
    // Each password goes to the secret scan at the end of `make test` (logs, tables).
    let secrets = vectors.iter().map(|v| json!({ "password": v.password }));
    for secret in secrets {
        blackbox_tests::remember_secrets(secret.to_string().as_bytes());
    }
    vectors
}

/// The part of a hash an attacker would run guesses against: the digest's own text.
fn fast_part(hash: &str) -> String {
    if let Some(end) = hash.find('}') {
        return hash[end + 1..].to_owned();
    }
    if hash.starts_with("$2") {
        return hash[hash.len() - 31..].to_owned();
    }
    hash.rsplit('$').next().unwrap().to_owned()
}

fn temp_file(name: &str, lines: &[String]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("idp-import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn admin(args: &[&str]) -> Output {
    Command::new(ADMIN).args(args).output().unwrap()
}

fn import(company: &str, file: &std::path::Path) -> (i32, String) {
    let out = admin(&["import", "--company", company, file.to_str().unwrap()]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn person(n: usize, extra: Value) -> Value {
    let mut line = json!({
        "register_type": "nin_register",
        "information_provider": "test_idp",
        "profile": {
            "nin": format!("{}", 50_000_000 + n),
            "name": "Ada",
            "lastname": format!("Import{n}"),
            "email": format!("user{n}@import.example"),
            "origin": "test_idp",
        },
    });
    if let (Some(line), Value::Object(extra)) = (line.as_object_mut(), extra) {
        line.extend(extra);
    }
    line
}

async fn login(api: &Api, company: &str, email: &str, password: &str) -> u16 {
    api.post(
        &format!("/v1/companies/{company}/profiles/login"),
        &token(company),
        &json!({"credentials": {"email": email, "origin": "test_idp", "password": password}}),
    )
    .await
    .status
}

async fn stored_hash(company: &str, uuid: &str) -> Option<String> {
    let item = idp_core::store::dynamodb_client()
        .await
        .get_item()
        .table_name(Tables::from_env().unwrap().profiles)
        .key(
            "PK",
            AttributeValue::S(format!("company#{company}#profile#{uuid}")),
        )
        .key("SK", AttributeValue::S("credential#password".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item?;
    item.get("password_hash")?.as_s().ok().cloned()
}

fn summary_counts(output: &str) -> (u64, u64, u64) {
    let line = output
        .lines()
        .find(|l| l.starts_with("import: ") && l.contains(" imported, "))
        .unwrap_or_else(|| panic!("no summary in {output}"));
    let number_before = |word: &str| -> u64 {
        let end = line.find(word).unwrap();
        line[..end]
            .trim_end()
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (
        number_before(" imported"),
        number_before(" skipped"),
        number_before(" rejected"),
    )
}

#[tokio::test]
async fn every_imported_format_logs_in_and_is_replaced_by_argon2id_exactly_once() {
    let api = Api::new();
    let company = fresh_company().await;
    let vectors = vectors();
    let uuids: Vec<String> = (0..vectors.len())
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let lines: Vec<String> = vectors
        .iter()
        .enumerate()
        .map(|(n, v)| {
            // Half the lines name their uuid; the others get one derived from their values.
            let mut extra = json!({ "password_hash": v.hash });
            if n % 2 == 0 {
                extra["uuid"] = json!(uuids[n]);
            }
            person(n, extra).to_string()
        })
        .collect();
    let file = temp_file("formats.jsonl", &lines);
    let (code, output) = import(&company, &file);
    assert_eq!(code, 0, "{output}");
    let weak = vectors.iter().filter(|v| v.weak).count();
    assert!(
        output.contains(&format!(
            "{} imported, 0 skipped (already imported), 0 rejected; weak password hashes wrapped in argon2id: {weak};",
            vectors.len()
        )),
        "{output}"
    );
    // Nothing the import printed names a password or a hash.
    for v in &vectors {
        assert!(!output.contains(&v.password), "{output}");
        assert!(
            !output.contains(&fast_part(&v.hash)),
            "{}: {output}",
            v.format
        );
    }

    // The uuids: as given, or derived; both found through the export.
    let export = admin(&["export", "--company", &company]);
    assert!(export.status.success());
    let exported: Vec<Value> = String::from_utf8(export.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(exported.len(), vectors.len());
    let uuid_of = |n: usize| -> String {
        let email = format!("user{n}@import.example");
        exported
            .iter()
            .find(|line| line["profile"]["email"] == json!(email))
            .unwrap()["uuid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for (n, _) in vectors.iter().enumerate().filter(|(n, _)| n % 2 == 0) {
        assert_eq!(uuid_of(n), uuids[n]);
    }

    // Weak formats were wrapped: no item holds their hash or its digest; strong ones are kept.
    let everything = scan_everything().await.join("\n");
    for (n, v) in vectors.iter().enumerate() {
        let stored = stored_hash(&company, &uuid_of(n)).await.unwrap();
        if v.weak {
            assert!(
                stored.starts_with("$idp-wrap-v1$"),
                "{}: {stored}",
                v.format
            );
            assert!(!everything.contains(&fast_part(&v.hash)), "{}", v.format);
            assert!(!everything.contains(&v.hash), "{}", v.format);
        } else {
            assert_eq!(stored, v.hash, "{}", v.format);
        }
    }

    // Each format: a wrong password is refused and changes nothing; the right one logs in and
    // replaces the hash with argon2id at the configured cost; the next login keeps that one.
    let checks = vectors.iter().enumerate().map(|(n, v)| {
        let (api, company, uuid, v) = (api.clone(), company.clone(), uuid_of(n), v.clone());
        async move {
            let email = format!("user{n}@import.example");
            let before = stored_hash(&company, &uuid).await.unwrap();
            let wrong = format!("{}x", v.password);
            assert_eq!(
                login(&api, &company, &email, &wrong).await,
                422,
                "{}",
                v.format
            );
            assert_eq!(stored_hash(&company, &uuid).await.unwrap(), before);
            let started = Instant::now();
            assert_eq!(
                login(&api, &company, &email, &v.password).await,
                200,
                "{} ({})",
                v.format,
                v.source
            );
            let first = started.elapsed();
            let upgraded = stored_hash(&company, &uuid).await.unwrap();
            assert!(upgraded.starts_with(UPGRADED), "{}: {upgraded}", v.format);
            if before.starts_with(UPGRADED) {
                // Already argon2id at the configured cost: nothing to replace.
                assert_eq!(upgraded, before);
            } else {
                assert_ne!(upgraded, before, "{}", v.format);
            }
            assert_eq!(login(&api, &company, &email, &v.password).await, 200);
            assert_eq!(
                stored_hash(&company, &uuid).await.unwrap(),
                upgraded,
                "{}: upgraded twice",
                v.format
            );
            assert_eq!(login(&api, &company, &email, &wrong).await, 422);
            (v.format.clone(), first)
        }
    });
    for (format, first) in futures_join(checks).await {
        eprintln!("{format}: first login {} ms", first.as_millis());
    }
    // After the logins no imported hash of another family or cost is left.
    let everything = scan_everything().await.join("\n");
    for v in vectors.iter().filter(|v| !v.hash.starts_with(UPGRADED)) {
        assert!(!everything.contains(&v.hash), "{}", v.format);
    }
    assert_eq!(assert_consistent(&company).await, vectors.len());
}

/// Runs the futures together (the functions serve four at a time).
async fn futures_join<T: Send + 'static>(
    futures: impl Iterator<Item = impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_rejected_line_gets_creates_answer_and_never_stops_the_others() {
    let api = Api::new();
    let company = fresh_company().await;
    let salt = "c29tZXNhbHRzb21lc2FsdA";
    let digest = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let hashed = |hash: &str| json!({ "password_hash": hash });
    let mut no_lastname = person(9, json!({}));
    no_lastname["profile"]
        .as_object_mut()
        .unwrap()
        .remove("lastname");
    let long_line = person(99, json!({ "profile": { "name": "x".repeat(70_000) } })).to_string();
    // (line, whether Create takes the same body, so its answer can be compared)
    let cases: Vec<(String, bool)> = vec![
        (person(1, json!({})).to_string(), false),
        (r#"{"register_type": "nin_register""#.into(), true),
        ("[1, 2]".into(), true),
        (person(3, json!({ "colour": "red" })).to_string(), false),
        (
            person(4, json!({ "register_type": "unknown_form" })).to_string(),
            true,
        ),
        (
            person(5, json!({ "information_provider": "elsewhere" })).to_string(),
            true,
        ),
        (
            {
                let mut p = person(6, json!({}));
                p["profile"]["email"] = json!("not an address");
                p.to_string()
            },
            true,
        ),
        (no_lastname.to_string(), true),
        (
            json!({"register_type": "nin_register", "information_provider": "test_idp",
                "profile": {"name": "Ada", "lastname": "NoIds"}})
            .to_string(),
            true,
        ),
        // The same e-mail as line 1, imported above.
        (
            {
                let mut p = person(10, json!({}));
                p["profile"]["email"] = json!("user1@import.example");
                p.to_string()
            },
            true,
        ),
        (
            person(11, json!({ "uuid": "not-a-uuid" })).to_string(),
            false,
        ),
        (person(12, json!({ "active": "yes" })).to_string(), false),
        (
            person(13, hashed("md5$salt$0123456789abcdef")).to_string(),
            false,
        ),
        (person(14, hashed("$2b$10$tooshort")).to_string(), false),
        (
            person(
                15,
                hashed("$2b$15$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
            )
            .to_string(),
            false,
        ),
        (
            person(
                16,
                hashed(&format!("$pbkdf2-sha256$i=5000000${salt}${digest}")),
            )
            .to_string(),
            false,
        ),
        (
            person(
                17,
                hashed(&format!("$scrypt$ln=20,r=8,p=1${salt}${digest}")),
            )
            .to_string(),
            false,
        ),
        (
            person(
                18,
                hashed(&format!("$argon2id$v=19$m=1048576,t=2,p=1${salt}${digest}")),
            )
            .to_string(),
            false,
        ),
        (person(19, hashed("")).to_string(), false),
        (long_line, false),
        (person(21, json!({})).to_string(), false),
    ];
    let mut lines: Vec<String> = cases.iter().map(|(l, _)| l.clone()).collect();
    lines.insert(5, "   ".into()); // a blank line: ignored, but counted in the numbering
    let file = temp_file("rejects.jsonl", &lines);
    let (code, output) = import(&company, &file);
    assert_eq!(code, 1, "{output}");
    assert_eq!(summary_counts(&output), (2, 0, 19), "{output}");

    let rejects_path = format!("{}.rejects.jsonl", file.display());
    let rejects_text = std::fs::read_to_string(&rejects_path).unwrap();
    let rejects: Vec<Value> = rejects_text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let numbers: Vec<u64> = rejects
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        numbers,
        [
            2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21
        ]
    );
    let by_line = |n: u64| rejects.iter().find(|r| r["line"] == json!(n)).unwrap();

    // Lines Create would take as a body get exactly Create's answer.
    for (index, (line, comparable)) in cases.iter().enumerate() {
        if !comparable {
            continue;
        }
        let number = if index >= 5 { index + 2 } else { index + 1 } as u64;
        let created = api
            .send(
                "POST",
                &format!("/v1/companies/{company}/profiles"),
                Some(&token(&company)),
                Some(line.clone().into_bytes()),
            )
            .await;
        let mut record = by_line(number).clone();
        record.as_object_mut().unwrap().remove("line");
        assert_eq!(record, created.body, "line {number}: {line}");
        assert_eq!(record["code"], json!(created.status));
    }
    let errors = |n: u64| by_line(n)["errors"].as_str().unwrap_or_default().to_owned();
    assert!(errors(4).contains("colour"), "{}", errors(4));
    assert_eq!(errors(11), "Profile already present");
    assert_eq!(errors(12), "`uuid` is not a UUID in its hyphenated form");
    assert!(errors(13).contains("active"), "{}", errors(13));
    assert!(
        errors(14).contains("not in a supported format"),
        "{}",
        errors(14)
    );
    assert!(errors(15).contains("malformed bcrypt"), "{}", errors(15));
    assert!(errors(16).contains("cost 15 is over 14"), "{}", errors(16));
    assert!(
        errors(17).contains("5000000 iterations are over 4000000"),
        "{}",
        errors(17)
    );
    assert!(
        errors(18).contains("1024 MiB, over 256 MiB"),
        "{}",
        errors(18)
    );
    assert!(errors(19).contains("m=1048576"), "{}", errors(19));
    assert_eq!(errors(20), "`password_hash` is empty");
    assert_eq!(by_line(21)["code"], json!(413));
    // The reasons name the bound, never the hash.
    for hash in [
        "CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
        digest,
        "0123456789abcdef",
    ] {
        assert!(!rejects_text.contains(hash) && !output.contains(hash));
    }
    // The good lines on either side of the bad ones are in.
    assert_eq!(assert_consistent(&company).await, 2);
}

#[tokio::test]
async fn a_rerun_imports_nothing_twice_and_a_killed_import_resumes_to_exactly_the_file() {
    let company = fresh_company().await;
    // Lines with and without uuid; some with a (strong, kept as is) argon2id hash.
    let strong = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$N9nHpFYulyQ0MZKLtRNSHlLZCBYKvlopTpwFpnpOMAQ";
    let lines: Vec<String> = (0..300)
        .map(|n| {
            let mut extra = json!({});
            if n % 2 == 0 {
                extra["uuid"] = json!(uuid::Uuid::new_v4().to_string());
            }
            if n % 10 == 0 {
                extra["password_hash"] = json!(strong);
            }
            person(n, extra).to_string()
        })
        .collect();

    // Killed (SIGKILL) while importing from standard input, with lines still to come.
    let mut child = Command::new(ADMIN)
        .args(["import", "--company", &company, "-", "--rejects"])
        .arg(std::env::temp_dir().join(format!("{company}-killed.rejects")))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in &lines[..200] {
        writeln!(stdin, "{line}").unwrap();
    }
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = 0;
    while seen < 20 {
        assert!(Instant::now() < deadline, "the import wrote nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = assert_consistent(&company).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    let after_kill = assert_consistent(&company).await;
    assert!((20..300).contains(&after_kill), "{after_kill}");

    // The whole file again: what the killed run wrote is skipped, the rest imported.
    let file = temp_file("resume.jsonl", &lines);
    let (code, output) = import(&company, &file);
    assert_eq!(code, 0, "{output}");
    let (imported, skipped, rejected) = summary_counts(&output);
    assert_eq!((imported + skipped, rejected), (300, 0), "{output}");
    assert!(skipped as usize >= after_kill, "{output}");
    assert_eq!(assert_consistent(&company).await, 300);

    // And once more: nothing new.
    let (code, output) = import(&company, &file);
    assert_eq!(code, 0, "{output}");
    assert_eq!(summary_counts(&output), (0, 300, 0), "{output}");
    assert_eq!(assert_consistent(&company).await, 300);
}

#[tokio::test]
async fn a_company_exported_and_imported_elsewhere_logs_everyone_in_with_the_same_password() {
    let api = Api::new();
    let source = fresh_company().await;
    let wanted = [
        "argon2id",
        "bcrypt $2a$ cost 4",
        "pbkdf2-sha256",
        "{SSHA}",
        "sha512-crypt",
        "django pbkdf2_sha256",
    ];
    let vectors: Vec<Vector> = vectors()
        .into_iter()
        .filter(|v| wanted.contains(&v.format.as_str()))
        .collect();
    assert_eq!(vectors.len(), wanted.len());
    let mut lines: Vec<String> = vectors
        .iter()
        .enumerate()
        .map(|(n, v)| person(n, json!({ "password_hash": v.hash })).to_string())
        .collect();
    // One without a password, one inactive.
    lines.push(person(100, json!({})).to_string());
    lines.push(
        person(
            101,
            json!({ "active": false, "password_hash": vectors[0].hash }),
        )
        .to_string(),
    );
    let (code, output) = import(&source, &temp_file("source.jsonl", &lines));
    assert_eq!(code, 0, "{output}");
    // And one registered through the API, with a password set there (native argon2id).
    let created = api
        .post(
            &format!("/v1/companies/{source}/profiles"),
            &token(&source),
            &json!({"register_type": "nin_register", "information_provider": "test_idp",
                    "options": {"active": true}, "profile": person(102, json!({}))["profile"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let native_password = "quartz lagoon velvet 42";
    add_password(
        &api,
        &source,
        created.body["data"]["uuid"].as_str().unwrap(),
        native_password,
    )
    .await;

    let dir = std::env::temp_dir().join(format!("idp-export-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let exported = dir.join("source.jsonl");
    // An existing, world-readable file is narrowed, not just truncated.
    std::fs::write(&exported, "old contents\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exported, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let out = admin(&[
        "export",
        "--company",
        &source,
        "--output",
        exported.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("export: 9 profiles"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&exported).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the export holds hashes: owner only");
    }
    for v in &vectors {
        assert!(!stderr.contains(&fast_part(&v.hash)));
    }

    let target = fresh_company().await;
    let (code, output) = import(&target, &exported);
    assert_eq!(code, 0, "{output}");
    assert_eq!(summary_counts(&output), (9, 0, 0), "{output}");
    for (n, v) in vectors.iter().enumerate() {
        let email = format!("user{n}@import.example");
        assert_eq!(
            login(&api, &target, &email, &v.password).await,
            200,
            "{}",
            v.format
        );
    }
    assert_eq!(
        login(&api, &target, "user102@import.example", native_password).await,
        200
    );
    assert_eq!(
        login(
            &api,
            &target,
            "user101@import.example",
            &vectors[0].password
        )
        .await,
        409
    );

    // The same profiles, uuids, states and fields on both sides.
    let lines_of = |company: &str| -> Vec<Value> {
        let out = admin(&["export", "--company", company]);
        assert!(out.status.success());
        let mut lines: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let mut line: Value = serde_json::from_str(l).unwrap();
                line.as_object_mut().unwrap().remove("password_hash");
                line
            })
            .collect();
        lines.sort_by_key(|l| l["uuid"].as_str().unwrap().to_owned());
        lines
    };
    assert_eq!(lines_of(&source), lines_of(&target));
    assert_eq!(assert_consistent(&target).await, 9);
}

#[tokio::test]
async fn an_authenticator_app_moves_in_and_out_with_its_profile() {
    let api = Api::new();
    let vector = vectors()
        .into_iter()
        .find(|v| v.format == "argon2id")
        .unwrap();
    // A secret another service issued (80 bits, as many older ones did), read by pyotp.
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    remember_secrets(json!({ "secret": secret }).to_string().as_bytes());
    let uri = format!("otpauth://totp/Other:user300?secret={secret}&issuer=Other");
    let line = person(
        300,
        json!({"password_hash": vector.hash, "two_factor": {"totp": {"secret": secret}}}),
    );
    let source = fresh_company().await;
    let (code, output) = import(&source, &temp_file("totp.jsonl", &[line.to_string()]));
    assert_eq!(code, 0, "{output}");
    assert_eq!(summary_counts(&output), (1, 0, 0), "{output}");

    let email = "user300@import.example";
    let log_in = |company: String, extra: Value| {
        let api = api.clone();
        let mut credentials =
            json!({"email": email, "origin": "test_idp", "password": vector.password});
        for (key, value) in extra.as_object().unwrap() {
            credentials[key] = value.clone();
        }
        async move {
            api.post(
                &format!("/v1/companies/{company}/profiles/login"),
                &token(&company),
                &json!({ "credentials": credentials }),
            )
            .await
        }
    };
    // The imported factor is enforced: the password alone gets the challenge.
    let reply = log_in(source.clone(), json!({})).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.body["message"], "Second Factor Required");
    // The current step's code (the step before it stays in the window if the clocks cross
    // a boundary on the way).
    let code_now = || authenticator(&uri, &[settled_step()])["codes"][0].clone();
    let reply = log_in(source.clone(), json!({"totp": code_now()})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let list = &reply.body["data"]["two_factor_authentication"];
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "no recovery codes came with it: {list}"
    );
    assert_eq!(list[0]["method"], "totp");
    // Sealed at rest: the secret is nowhere in the table in the clear (the scan checks too).
    let items = scan_everything().await.join("\n");
    assert!(!items.contains(secret));

    // Out, with its secret, to a file only its owner reads; in again elsewhere.
    let exported = std::env::temp_dir().join(format!("idp-totp-{}.jsonl", uuid::Uuid::new_v4()));
    let out = admin(&[
        "export",
        "--company",
        &source,
        "--output",
        exported.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&exported).unwrap();
    let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        line["two_factor"],
        json!({"totp": {"secret": secret, "algorithm": "SHA1", "digits": 6, "period": 30}})
    );
    let target = fresh_company().await;
    let (code, output) = import(&target, &exported);
    assert_eq!(code, 0, "{output}");
    // A code of the time after the export: another company, so no step of it is spent.
    let reply = log_in(target.clone(), json!({"totp": code_now()})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}
