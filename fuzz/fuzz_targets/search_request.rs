//! Search request parsing (`SearchRequest::parse`: the query string and body of Search Multiple
//! Profiles, §5.7) and the search cursor (`CursorKey::check`) on arbitrary bytes.
//!
//! Input: the first line is the query string (`name=value&…`, taken as it is, no
//! percent-decoding; the first value of a repeated name wins, as API Gateway's
//! `queryStringParameters` gives it), the rest is the body. Asserted:
//! - nothing panics;
//! - an accepted request is within the contract's bounds: `per_page` 1–100, `page` ≥ 1,
//!   `page × per_page` ≤ 10,000, never `cursor` with `page`; `fields` sorted without repeats;
//!   every filter value trimmed and non-empty, and normalising it again gives itself;
//! - the cursor a caller sends is never accepted (only one this key signed is), and a cursor
//!   this key signs for the request's scope is accepted back with its position, and refused for
//!   another company, for the other `disabled_profile` and for other filters;
//! - a refusal is a 400 `Profile` client error (413 exactly when the body is over
//!   `MAX_BODY_BYTES`); its sentence is at most 200 characters; each of its backticked names is
//!   a body key, a query parameter's name or a name from `fields` (as `domain::shown_name`
//!   shows it: cut at 64 characters, backticks and control characters as `?`), and
//!   outside them it shows no value the request sent: when a value of 5 or more characters
//!   appears there, the same request with that value shifted (every ASCII letter and digit
//!   replaced by the next one) must not show the shifted value (else the sentence follows the
//!   value: an echo); if it does not, the first match was fixed wording.

#![no_main]

use idp_core::cursor::{CursorKey, Position, scope};
use idp_core::domain::CompanyId;
use idp_core::endpoints::search_profiles::{SearchRequest, parse_filters};
use idp_core::request::MAX_BODY_BYTES;
use idp_core::store::index::Searchable;
use idp_core::{ApiError, Resource};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const MAX_SENTENCE_CHARS: usize = 200;

/// Every ASCII letter and digit replaced by the next one (`z` by `a`, `9` by `0`): another
/// value of the same length and shape.
fn shifted(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            'z' => 'a',
            'Z' => 'A',
            '9' => '0',
            c if c.is_ascii_alphanumeric() => char::from(c as u8 + 1),
            c => c,
        })
        .collect()
}

/// Every object key anywhere in a JSON text (as far as it parses), read with a visitor of our
/// own: `serde_json::Value` cannot be used, since a key `$serde_json::private::RawValue` makes
/// it refuse the document (that is how one of this target's inputs was refused).
fn all_keys(body: &[u8]) -> Vec<String> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

    struct Keys<'a>(&'a mut Vec<String>);

    impl<'de> DeserializeSeed<'de> for Keys<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Keys<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Keys(&mut *self.0))?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                self.0.push(key);
                map.next_value_seed(Keys(&mut *self.0))?;
            }
            Ok(())
        }
    }

    let mut keys = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(body);
    let _ = Keys(&mut keys).deserialize(&mut de);
    keys
}

/// The sentence outside its backticked names (each stretch apart, so that no match spans a
/// name).
fn outside_of(sentence: &str) -> String {
    sentence
        .split('`')
        .step_by(2)
        .collect::<Vec<_>>()
        .join("\u{1}")
}

fn query(line: &str) -> Vec<(String, String)> {
    line.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (pair.to_owned(), String::new()),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let (line, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let line = String::from_utf8_lossy(line);
    let params = query(&line);
    match parse(&params, body) {
        Ok(request) => check_accepted(&request, params.iter().any(|(n, _)| n == "page")),
        Err(err) => check_refused(err, &params, body),
    }
});

fn parse(params: &[(String, String)], body: &[u8]) -> Result<SearchRequest, ApiError> {
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    SearchRequest::parse(param, body)
}

/// The sentence of a refusal (`None` when accepted).
fn sentence_of(params: &[(String, String)], body: &[u8]) -> Option<String> {
    match parse(params, body) {
        Ok(_) => None,
        Err(ApiError::Client { errors, .. }) => errors.map(|e| e.into_owned()),
        Err(other) => panic!("not a client error: {other:?}"),
    }
}

fn check_accepted(request: &SearchRequest, page_sent: bool) {
    let page = request.page;
    assert!((1..=100).contains(&page.per_page), "per_page {}", page.per_page);
    assert!(page.page >= 1);
    assert!(u64::from(page.page) * u64::from(page.per_page) <= 10_000);
    assert!(!(request.cursor.is_some() && page_sent), "cursor with page");
    assert!(request.shown.windows(2).all(|w| w[0] < w[1]), "fields order");

    let mut again = Map::new();
    for (key, value) in &request.filters {
        assert!(!value.is_empty() && value.trim() == value, "filter not trimmed");
        again.insert(key.name().to_owned(), Value::from(value.as_str()));
    }
    let reparsed = parse_filters(&again).expect("a normalised filter is accepted again");
    let by_name = |filters: &[(Searchable, String)]| {
        let mut named: Vec<(&str, String)> =
            filters.iter().map(|(k, v)| (k.name(), v.clone())).collect();
        named.sort();
        named
    };
    assert_eq!(
        by_name(&request.filters),
        by_name(&reparsed),
        "normalisation is not idempotent"
    );

    check_cursor(request);
}

fn check_cursor(request: &SearchRequest) {
    let key = CursorKey::new(vec![0x5a; 32]).expect("a 32-byte key");
    let company = CompanyId::parse("-1").expect("a company id");
    let other = CompanyId::parse("-2").expect("a company id");
    let here = scope(&request.filters, request.include_disabled);
    if let Some(sent) = &request.cursor {
        assert_eq!(key.check(sent, &company, &here), None, "a forged cursor was accepted");
    }
    let position = Position {
        after: u128::from(request.page.page) << 64 | u128::from(request.page.per_page),
        skip: request.page.per_page,
    };
    let issued = key.issue(&company, &here, position).expect("a cursor is signed");
    assert_eq!(key.check(&issued, &company, &here), Some(position));
    assert_eq!(key.check(&issued, &other, &here), None, "another company");
    let flipped = scope(&request.filters, !request.include_disabled);
    assert_eq!(key.check(&issued, &company, &flipped), None, "other disabled_profile");
    let mut narrower = request.filters.clone();
    narrower.push((Searchable::IdentificationProvider, "fuzz-extra".to_owned()));
    assert_eq!(
        key.check(&issued, &company, &scope(&narrower, request.include_disabled)),
        None,
        "other filters"
    );
}

fn check_refused(err: ApiError, params: &[(String, String)], body: &[u8]) {
    let ApiError::Client {
        status,
        resource,
        errors,
    } = err
    else {
        panic!("not a client error: {err:?}");
    };
    assert_eq!(resource, Resource::Profile);
    let blank = body.iter().all(u8::is_ascii_whitespace);
    let expected = if !blank && body.len() > MAX_BODY_BYTES { 413 } else { 400 };
    assert_eq!(status, expected, "status");
    let sentence = errors.expect("a refusal says why");
    assert!(sentence.chars().count() <= MAX_SENTENCE_CHARS, "long: {sentence}");

    let body_map: Option<Map<String, Value>> = serde_json::from_slice(body).ok();
    let mut names: Vec<String> = params.iter().map(|(n, _)| n.clone()).collect();
    if let Some((_, fields)) = params.iter().find(|(n, _)| n == "fields") {
        names.extend(fields.split(',').map(|f| f.trim().to_owned()));
    }
    // Each value the request sent, with a way to rebuild the request with another value there.
    type Swap<'a> = Box<dyn Fn(&str) -> (Vec<(String, String)>, Vec<u8>) + 'a>;
    let mut values: Vec<(String, Swap)> = Vec::new();
    for (i, (name, value)) in params.iter().enumerate() {
        if name == "fields" {
            continue;
        }
        let swap: Swap = Box::new(move |other: &str| {
            let mut changed = params.to_vec();
            changed[i].1 = other.to_owned();
            (changed, body.to_vec())
        });
        values.push((value.clone(), swap));
    }
    if let Some(map) = &body_map {
        names.extend(map.keys().cloned());
        for (key, value) in map {
            let Some(text) = value.as_str() else {
                continue;
            };
            let swap: Swap = Box::new(move |other: &str| {
                let mut changed = map.clone();
                changed.insert(key.clone(), Value::from(other));
                let bytes = serde_json::to_vec(&changed).unwrap_or_default();
                (params.to_vec(), bytes)
            });
            values.push((text.to_owned(), swap));
        }
    }
    let cut = |name: &str| idp_core::domain::shown_name(name);

    let outside = outside_of(&sentence);
    for (i, part) in sentence.split('`').enumerate() {
        if i % 2 == 1 {
            let known = ["cursor", "page", "per_page", "fields", "disabled_profile"];
            // A name, or a path of body keys joined by `.` (parse_json's sentences).
            let is_name = |text: &str| names.iter().any(|n| cut(n) == text);
            let is_path = || {
                let keys = all_keys(body);
                // A long path is shown as its first key and `.…`.
                let mut rest = part.strip_suffix(".…").unwrap_or(part);
                while !rest.is_empty() {
                    let Some(key) = keys
                        .iter()
                        .map(|k| cut(k))
                        .filter(|k| {
                            rest.strip_prefix(k.as_str())
                                .is_some_and(|after| after.is_empty() || after.starts_with('.'))
                        })
                        .max_by_key(String::len)
                    else {
                        return false;
                    };
                    rest = rest[key.len()..].strip_prefix('.').unwrap_or("");
                }
                true
            };
            assert!(
                known.contains(&part) || is_name(part) || is_path(),
                "backticked text that is not a name: {sentence:?}"
            );
        }
    }
    // A value seen in the sentence is echoed only if the sentence follows it: the same request
    // with that value shifted (same length, other letters and digits) must not show the
    // shifted value. Otherwise the match was fixed wording.
    for (value, swap) in values {
        let trimmed = value.trim();
        if trimmed.chars().count() < 5 || !outside.contains(trimmed) {
            continue;
        }
        let other = shifted(&value);
        if other == value {
            continue;
        }
        let (params2, body2) = swap(&other);
        if let Some(again) = sentence_of(&params2, &body2) {
            assert!(
                !outside_of(&again).contains(other.trim()),
                "the sentence echoes a value: {sentence:?} / {again:?}"
            );
        }
    }
}
