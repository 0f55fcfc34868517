//! Checks replies against `openapi.yaml`, so the document cannot drift from what the functions
//! answer: an undocumented status or a body outside its schema fails the test that saw it.

use std::sync::OnceLock;

use jsonschema::{Registry, Validator};
use serde_json::{Value, json};

const ROOT: &str = "urn:idp:openapi";

pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let text = std::fs::read_to_string(format!("{}/openapi.yaml", crate::REPO)).unwrap();
        serde_yaml::from_str(&text).unwrap()
    })
}

/// The documented path template a concrete path falls under, e.g. `/v1/companies/{company_id}/profiles`.
pub fn template_for(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let paths = document()["paths"].as_object()?;
    let mut matches: Vec<&String> = paths
        .keys()
        .filter(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .collect();
    // A literal segment wins over a parameter (`/profiles/login` over `/profiles/{uuid}`).
    matches.sort_by_key(|t| t.matches('{').count());
    matches.first().map(|t| (*t).clone())
}

/// A path template as a JSON-pointer token inside a URI fragment.
fn escape(segment: &str) -> String {
    segment
        .replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

fn validator(pointer: &str) -> Validator {
    static REGISTRY: OnceLock<Registry<'static>> = OnceLock::new();
    let registry = REGISTRY.get_or_init(|| {
        Registry::new()
            .add(ROOT, document().clone())
            .unwrap()
            .prepare()
            .unwrap()
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_registry(registry)
        .build(&json!({"$ref": format!("{ROOT}#{pointer}")}))
        .unwrap_or_else(|e| panic!("openapi.yaml: cannot build a validator for {pointer}: {e}"))
}

/// Panics unless `status` is documented for the operation and `body` fits its schema.
pub fn check_response(method: &str, path: &str, status: u16, body: &Value) {
    let method = method.to_lowercase();
    let template =
        template_for(path).unwrap_or_else(|| panic!("openapi.yaml documents no path for {path}"));
    let operation = &document()["paths"][&template][&method];
    assert!(
        operation.is_object(),
        "openapi.yaml documents no {method} {template}"
    );
    let code = status.to_string();
    assert!(
        operation["responses"][&code].is_object(),
        "openapi.yaml documents no {status} for {method} {template}; body: {body}"
    );
    let pointer = format!(
        "/paths/{}/{method}/responses/{code}/content/application~1json/schema",
        escape(&template)
    );
    let validator = validator(&pointer);
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} -> {status}: body does not match openapi.yaml:\n{}\nbody: {body}",
        errors.join("\n")
    );
}

/// Panics unless `body` fits the documented request schema of the operation.
pub fn check_request(method: &str, template: &str, body: &Value) -> Result<(), Vec<String>> {
    let pointer = format!(
        "/paths/{}/{}/requestBody/content/application~1json/schema",
        escape(template),
        method.to_lowercase()
    );
    let errors: Vec<String> = validator(&pointer)
        .iter_errors(body)
        .map(|e| e.to_string())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
