//! Request-body parsing (`idp_core::request::parse_json_bytes`) on arbitrary bytes.
//!
//! Each input is parsed twice: as a `serde_json::Value` and as the create-profile body. Asserted:
//! - nothing panics;
//! - an accepted body is at most `MAX_BODY_BYTES` and an object; its `profile` map goes through
//!   `ProfileAttributes::parse`, whose canonical output parses again to itself, and whose error
//!   sentence is one of its two shapes (an unknown name is shown at most 64 characters long);
//! - a refused body is a client error: 413 exactly when it is larger than `MAX_BODY_BYTES`,
//!   400 otherwise; `into_response()` gives that status, `application/json`, and a JSON envelope
//!   `{"code", "resource": "Profile", "message", "errors"}` whose `errors` is the sentence;
//! - the sentence never echoes a value: it is unchanged when every ASCII letter and digit inside
//!   the body's string *values* is replaced by another one (the same number of bytes, so every
//!   line and column stays put), and no string value longer than 8 characters appears in it
//!   unless it also appears in the variant's sentence (i.e. it is fixed wording or part of a
//!   key; keys, the names of unknown fields, are echoed by design);
//! - the sentence stays short: at most 200 characters (unknown names are cut at 64).

#![no_main]

use idp_core::domain::ProfileAttributes;
use idp_core::request::{MAX_BODY_BYTES, parse_json_bytes};
use idp_core::{ApiError, Resource};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The shape of the create-profile body (`shared/src/endpoints/create_profile.rs`).
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateProfileBody {
    register_type: String,
    information_provider: String,
    #[serde(default)]
    profile: Option<Map<String, Value>>,
    #[serde(default)]
    options: Option<Map<String, Value>>,
}

/// Longest error sentence accepted: the longest fixed wording is well under 100 characters and
/// an unknown field's name is cut at 64.
const MAX_SENTENCE_CHARS: usize = 200;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        // libFuzzer's inputs stay far below the cap; check both sides of it once in a while.
        check_boundary();
    }
    let values = string_values(data);

    match parse_json_bytes::<Value>(data, Resource::Profile) {
        Ok(value) => {
            assert!(data.len() <= MAX_BODY_BYTES);
            assert!(value.is_object(), "accepted a body that is not an object");
        }
        Err(err) => check_error::<Value>(data, &values, err),
    }

    match parse_json_bytes::<CreateProfileBody>(data, Resource::Profile) {
        Ok(body) => {
            assert!(data.len() <= MAX_BODY_BYTES);
            if let Some(profile) = &body.profile {
                check_profile(profile);
            }
        }
        Err(err) => check_error::<CreateProfileBody>(data, &values, err),
    }
});

fn check_boundary() {
    let mut body = b"{\"register_type\":\"a\",\"information_provider\":\"b\"}".to_vec();
    body.resize(MAX_BODY_BYTES, b' ');
    assert!(parse_json_bytes::<CreateProfileBody>(&body, Resource::Profile).is_ok());
    body.push(b' ');
    let err = parse_json_bytes::<CreateProfileBody>(&body, Resource::Profile).unwrap_err();
    assert_eq!(err.status(), 413);
}

fn check_profile(profile: &Map<String, Value>) {
    match ProfileAttributes::parse(profile) {
        Ok(attrs) => {
            let canonical: Map<String, Value> = attrs
                .iter()
                .map(|(field, value)| (field.as_str().to_owned(), Value::from(value)))
                .collect();
            let again = ProfileAttributes::parse(&canonical);
            assert_eq!(again.as_ref(), Ok(&attrs), "canonical profile does not parse to itself");
        }
        Err(err) => {
            let sentence = err.to_string();
            if let Some(rest) = sentence.strip_prefix("Unknown profile field `") {
                let name = rest.strip_suffix('`').expect("unknown-field sentence ends with `");
                assert!(name.chars().count() <= 64, "unknown profile field shown unbounded");
                assert!(profile.keys().any(|k| k.starts_with(name)));
            } else {
                let rest = sentence
                    .strip_prefix("Profile field `")
                    .unwrap_or_else(|| panic!("unexpected profile error: {sentence}"));
                let (field, _) = rest.split_once('`').expect("field name in backticks");
                assert!(profile.contains_key(field), "error names a field that was not sent");
            }
        }
    }
}

fn check_error<T: DeserializeOwned>(data: &[u8], values: &[StringLiteral], err: ApiError) {
    let status = err.status();
    let sentence = match &err {
        ApiError::Client {
            status: 400 | 413,
            resource: Resource::Profile,
            errors: Some(sentence),
        } => sentence.to_string(),
        other => panic!("unexpected error {other:?}"),
    };
    assert_eq!(
        status == 413,
        data.len() > MAX_BODY_BYTES,
        "413 must mean too large"
    );
    assert!(
        sentence.chars().count() <= MAX_SENTENCE_CHARS,
        "error sentence of {} characters: {sentence:?}",
        sentence.chars().count()
    );

    // The response: status, content type and a JSON envelope carrying the sentence.
    let response = err.into_response();
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    let body: Value = serde_json::from_slice(response.body()).expect("error body is JSON");
    assert_eq!(body["code"], Value::from(status));
    assert_eq!(body["resource"], Value::from("Profile"));
    assert!(body["message"].is_string());
    assert_eq!(body["errors"], Value::from(sentence.as_str()));

    // Errors never echo values. The variant differs only inside string values, byte for byte
    // in length, so its sentence must be the same.
    if values.is_empty() {
        return;
    }
    let variant_bytes = variant(data, values);
    let variant_sentence = match parse_json_bytes::<T>(&variant_bytes, Resource::Profile) {
        Ok(_) => panic!("the variant of a refused body was accepted: {sentence}"),
        Err(ApiError::Client {
            errors: Some(s), ..
        }) => s.into_owned(),
        Err(other) => panic!("unexpected error {other:?}"),
    };
    if std::str::from_utf8(data).is_ok() {
        for value in values {
            if let Some(text) = &value.decoded {
                if text.chars().count() > 8
                    && sentence.contains(text.as_str())
                    && !variant_sentence.contains(text.as_str())
                {
                    panic!("error sentence echoes the value {text:?}: {sentence:?}");
                }
            }
        }
    }
    assert_eq!(
        sentence, variant_sentence,
        "error sentence depends on the content of a string value"
    );
}

/// A string literal that is not an object key: its content's byte range, and its text when it
/// decodes.
struct StringLiteral {
    content: std::ops::Range<usize>,
    decoded: Option<String>,
}

/// The string literals of `data` that are values, not object keys, found the way a JSON parser
/// finds them up to the first syntax error (after which nothing more is read anyway). A key is
/// told by its position (first in an object or after a comma in one), not by a following `:`,
/// because serde refuses an unknown field as soon as it has read the key.
fn string_values(data: &[u8]) -> Vec<StringLiteral> {
    let mut out = Vec::new();
    let mut stack: Vec<u8> = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'{' => {
                stack.push(b'{');
                expect_key = true;
            }
            b'[' => {
                stack.push(b'[');
                expect_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => expect_key = stack.last() == Some(&b'{'),
            b':' => expect_key = false,
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let mut closed = false;
                while j < data.len() {
                    match data[j] {
                        b'\\' => j += 2,
                        b'"' => {
                            closed = true;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                let end = j.min(data.len());
                let is_key = expect_key && stack.last() == Some(&b'{');
                if !is_key {
                    let decoded = if closed {
                        serde_json::from_slice::<String>(&data[start - 1..=end]).ok()
                    } else {
                        None
                    };
                    out.push(StringLiteral {
                        content: start..end,
                        decoded,
                    });
                }
                expect_key = false;
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// `data` with each ASCII letter and digit inside string values replaced by the next one
/// (`a`→`b`, `z`→`a`, `9`→`0`), leaving escape sequences (`\n`, `\u00e9`) untouched.
fn variant(data: &[u8], values: &[StringLiteral]) -> Vec<u8> {
    let mut out = data.to_vec();
    for value in values {
        let mut i = value.content.start;
        while i < value.content.end {
            match out[i] {
                b'\\' => {
                    let unicode = out.get(i + 1) == Some(&b'u');
                    i += if unicode { 6 } else { 2 };
                    continue;
                }
                b'a'..=b'y' | b'A'..=b'Y' | b'0'..=b'8' => out[i] += 1,
                b'z' => out[i] = b'a',
                b'Z' => out[i] = b'A',
                b'9' => out[i] = b'0',
                _ => {}
            }
            i += 1;
        }
    }
    out
}
