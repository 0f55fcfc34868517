//! A JSON document (a request body, an import line) parsed into a typed value, or refused
//! with the contract's 4xx and a sentence that names the field at fault but never echoes a
//! value (a body may carry a password). Shared by the HTTP edge and `idp-admin import`, so a
//! line gets exactly the answer its body would.

use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::domain::shown_name;
use crate::error::ApiError;
use crate::resource::Resource;

/// Bodies of this API are small JSON objects; anything larger is refused before parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The longest field path a sentence shows whole (characters).
const MAX_SHOWN_PATH: usize = 128;

/// Parses `bytes` as `T`.
///
/// Nested structs in `T` would accept arrays too (serde's sequence form of a struct); bodies
/// keep nested objects as maps and read them explicitly instead.
pub fn parse_json_bytes<T: DeserializeOwned>(
    bytes: &[u8],
    resource: Resource,
) -> Result<T, ApiError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::payload_too_large(
            resource,
            format!("Request body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(ApiError::bad_request(resource, "Request body is required"));
    };
    // serde lets a struct be written as an array; this API's bodies are objects only.
    if *first != b'{' {
        return Err(ApiError::bad_request(
            resource,
            "Request body must be a JSON object",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        // Segments, not the dotted display: a caller's key may itself contain a dot.
        let path: Vec<String> = err.path().iter().map(|s| s.to_string()).collect();
        let inner = err.into_inner();
        let sentence = match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => not_json(&inner),
            Category::Data => describe_data_error(&path, &inner.to_string()),
        };
        ApiError::bad_request(resource, sentence)
    })?;
    // Trailing characters after the JSON value are an error too.
    de.end()
        .map_err(|e| ApiError::bad_request(resource, not_json(&e)))?;
    Ok(value)
}

/// A body already read as a JSON object, as `T`, with the sentences of [`parse_json_bytes`]: for a
/// path whose operations share it and are told apart by one key first.
pub fn from_object<T: DeserializeOwned>(
    object: serde_json::Map<String, serde_json::Value>,
    resource: Resource,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(serde_json::Value::Object(object)).map_err(|err| {
        let path: Vec<String> = err.path().iter().map(|s| s.to_string()).collect();
        ApiError::bad_request(
            resource,
            describe_data_error(&path, &err.into_inner().to_string()),
        )
    })
}

fn not_json(err: &serde_json::Error) -> String {
    format!("Request body is not valid JSON ({})", position(err))
}

fn position(err: &serde_json::Error) -> String {
    format!("line {} column {}", err.line(), err.column())
}

/// Rewrites serde's message into a sentence that names the field but not the value sent.
fn describe_data_error(path: &[String], message: &str) -> String {
    // Segments name this API's own fields, but keep any name bounded all the same.
    // A path deep enough to be long is shown by its first segment: the sentence stays short
    // (each name is cut at 64, but a body may nest without end).
    let join = |segments: &[String]| -> String {
        let path = segments
            .iter()
            .map(|s| shown_name(s))
            .collect::<Vec<_>>()
            .join(".");
        match segments.first() {
            Some(first) if path.chars().count() > MAX_SHOWN_PATH => {
                format!("{}.…", shown_name(first))
            }
            _ => path,
        }
    };
    let at = |segments: &[String]| {
        if segments.is_empty() {
            "the request body".to_owned()
        } else {
            format!("`{}`", join(segments))
        }
    };
    let quoted = |text: &str| -> Option<String> {
        let start = text.find('`')? + 1;
        let len = text[start..].find('`')?;
        Some(shown_name(&text[start..start + len]))
    };
    if message.starts_with("unknown field") {
        let name = quoted(message).unwrap_or_default();
        // The path ends at the unknown field itself; name its parent.
        let parent = &path[..path.len().saturating_sub(1)];
        if parent.is_empty() {
            format!("Unknown field `{name}`")
        } else {
            format!("Unknown field `{name}` in {}", at(parent))
        }
    } else if message.starts_with("missing field") {
        let name = quoted(message).unwrap_or_default();
        let mut full = path.to_vec();
        full.push(name);
        format!("Missing field `{}`", join(&full))
    } else if let Some((_, expected)) = message.rsplit_once(", expected ") {
        // The last `, expected`: the value quoted before it may contain those words too.
        let expected = expected.split(" at line ").next().unwrap_or(expected);
        format!("{} must be {expected}", capitalised(&at(path)))
    } else {
        format!("{} is invalid", capitalised(&at(path)))
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::HashMap;

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        name: String,
        inner: Option<Inner>,
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        flag: bool,
    }

    fn error_of(bytes: &[u8]) -> (u16, String) {
        error_of_as::<Body>(bytes)
    }

    fn error_of_as<T: DeserializeOwned + std::fmt::Debug>(bytes: &[u8]) -> (u16, String) {
        let err = parse_json_bytes::<T>(bytes, Resource::Profile).unwrap_err();
        let status = err.status();
        match err {
            ApiError::Client {
                errors: Some(e), ..
            } => (status, e.into_owned()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sentences_name_the_problem() {
        assert_eq!(
            error_of(b"{\"name\": "),
            (
                400,
                "Request body is not valid JSON (line 1 column 9)".into()
            )
        );
        assert_eq!(
            error_of(b"{\"name\": 5}"),
            (400, "`name` must be a string".into())
        );
        assert_eq!(
            error_of(b"{\"name\": \"a\", \"inner\": {\"flag\": \"secret-value\"}}"),
            (400, "`inner.flag` must be a boolean".into())
        );
        assert_eq!(
            error_of(b"{\"name\": \"a\", \"extra\": 1}"),
            (400, "Unknown field `extra`".into())
        );
        assert_eq!(
            error_of(b"{\"name\": \"a\", \"inner\": {\"flag\": true, \"x\": 1}}"),
            (400, "Unknown field `x` in `inner`".into())
        );
        assert_eq!(
            error_of(b"{\"inner\": {\"flag\": true}}"),
            (400, "Missing field `name`".into())
        );
        assert_eq!(
            error_of(b"[1,2]"),
            (400, "Request body must be a JSON object".into())
        );
        assert_eq!(error_of(b"  "), (400, "Request body is required".into()));
        assert_eq!(
            error_of(b"{\"name\": \"a\"} trailing"),
            (
                400,
                "Request body is not valid JSON (line 1 column 15)".into()
            )
        );
    }

    #[test]
    fn found_by_fuzzing() {
        // A key with dots is one unknown field, named with a bounded prefix.
        let key = format!("{}.b", "a".repeat(140));
        let (_, sentence) = error_of(format!("{{\"{key}\": 1}}").as_bytes());
        assert_eq!(sentence, format!("Unknown field `{}`", "a".repeat(64)));
        // A value that contains ", expected " is still not echoed.
        let (_, sentence) = error_of(b"{\"name\": \"a\", \"inner\": \"x, expected SECRETSECRET\"}");
        assert_eq!(sentence, "`inner` must be struct Inner");
        // A backtick in a key cannot close the sentence's quoting; a deep path is cut short
        // (search_request target).
        type Deep = HashMap<String, HashMap<String, HashMap<String, u8>>>;
        let (_, sentence) = error_of_as::<Deep>(br#"{"a`b": {"c": {"d": "x"}}}"#);
        assert_eq!(sentence, "`a?b.c.d` must be u8");
        let long = "k".repeat(60);
        let body = format!(r#"{{"{long}": {{"{long}": {{"{long}": "x"}}}}}}"#);
        let (_, sentence) = error_of_as::<Deep>(body.as_bytes());
        assert_eq!(sentence, format!("`{long}.…` must be u8"));
    }

    #[test]
    fn never_echoes_values() {
        let (_, sentence) = error_of(b"{\"name\": \"a\", \"inner\": {\"flag\": \"hunter2\"}}");
        assert!(!sentence.contains("hunter2"));
    }

    #[test]
    fn oversize_bodies_are_413() {
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(error_of(&big).0, 413);
    }
}
