//! `openapi.yaml`, `template.yaml` and the local router describe the same API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::openapi::{check_request, document};
use blackbox_tests::{REPO, Route, SEED_CREATE_BODY, template_routes};

fn openapi_routes() -> Vec<Route> {
    let mut routes = Vec::new();
    for (path, item) in document()["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.push(Route {
                    method: method.to_uppercase(),
                    path: path.clone(),
                });
            }
        }
    }
    routes.sort();
    routes
}

fn local_router_routes() -> Vec<Route> {
    let text = std::fs::read_to_string(format!("{REPO}/Cargo.toml")).unwrap();
    let manifest: toml::Value = toml::from_str(&text).unwrap();
    let router = &manifest["workspace"]["metadata"]["lambda"]["watch"]["router"];
    let mut routes = Vec::new();
    for (path, targets) in router.as_table().unwrap() {
        for target in targets.as_array().unwrap() {
            routes.push(Route {
                method: target["method"].as_str().unwrap().to_owned(),
                path: path.clone(),
            });
        }
    }
    routes.sort();
    routes
}

#[test]
fn every_deployed_route_is_documented_and_served_locally() {
    let deployed = template_routes();
    assert_eq!(openapi_routes(), deployed, "openapi.yaml vs template.yaml");
    assert_eq!(
        local_router_routes(),
        deployed,
        "Cargo.toml router vs template.yaml"
    );
}

#[test]
fn the_published_request_example_fits_the_documented_schema() {
    let body = serde_json::from_str(SEED_CREATE_BODY).unwrap();
    check_request("POST", "/v1/companies/{company_id}/profiles", &body).unwrap();
    let unknown =
        serde_json::json!({"register_type": "x", "information_provider": "y", "extra": 1});
    assert!(check_request("POST", "/v1/companies/{company_id}/profiles", &unknown).is_err());
}
