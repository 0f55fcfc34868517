//! Conversions between DynamoDB attribute values and the JSON the API speaks.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Number, Value};

pub type Item = HashMap<String, AttributeValue>;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The primary key of an item.
pub fn key(pk: impl Into<String>, sk: &str) -> Item {
    let mut key = Item::new();
    key.insert(super::keys::PK.into(), s(pk));
    key.insert(super::keys::SK.into(), s(sk));
    key
}

pub fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub fn get_bool(item: &Item, name: &str) -> Option<bool> {
    item.get(name).and_then(|v| v.as_bool().ok()).copied()
}

pub fn to_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => n
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| {
                n.parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
            })
            .unwrap_or_else(|| Value::String(n.clone())),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(list) => Value::Array(list.iter().map(to_json).collect()),
        AttributeValue::M(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect::<Map<_, _>>(),
        ),
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        _ => Value::Null,
    }
}

/// The DynamoDB form of a JSON value: numbers that fit an `i64` as `N`, other numbers as
/// their text in `N`, objects as `M`, arrays as `L`.
pub fn from_json(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(number) => AttributeValue::N(number.to_string()),
        Value::String(text) => AttributeValue::S(text.clone()),
        Value::Array(list) => AttributeValue::L(list.iter().map(from_json).collect()),
        Value::Object(map) => {
            AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_nested_values() {
        let item = AttributeValue::M(
            [
                (
                    "a".to_owned(),
                    AttributeValue::L(vec![n(1), s("x"), AttributeValue::Bool(true)]),
                ),
                ("b".to_owned(), AttributeValue::N("2.5".into())),
                ("c".to_owned(), AttributeValue::M(Default::default())),
            ]
            .into_iter()
            .collect(),
        );
        let value = json!({"a": [1, "x", true], "b": 2.5, "c": {}});
        assert_eq!(to_json(&item), value);
        assert_eq!(to_json(&from_json(&value)), value);
    }
}
