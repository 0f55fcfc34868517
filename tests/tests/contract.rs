//! `openapi.yaml`, `template.yaml` and the local router describe the same API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::openapi::{check_request, document};
use blackbox_tests::{REPO, Route, SEED_CREATE_BODY, template_functions, template_routes};

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
    router_functions()
        .into_iter()
        .map(|(route, _)| route)
        .collect()
}

/// Every route of the local router (`cargo lambda watch`) with the function it starts.
fn router_functions() -> Vec<(Route, String)> {
    let text = std::fs::read_to_string(format!("{REPO}/Cargo.toml")).unwrap();
    let manifest: toml::Value = toml::from_str(&text).unwrap();
    let router = &manifest["workspace"]["metadata"]["lambda"]["watch"]["router"];
    let mut routes = Vec::new();
    for (path, targets) in router.as_table().unwrap() {
        for target in targets.as_array().unwrap() {
            let route = Route {
                method: target["method"].as_str().unwrap().to_owned(),
                path: path.clone(),
            };
            routes.push((route, target["function"].as_str().unwrap().to_owned()));
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
fn each_route_reaches_the_same_function_deployed_and_locally_and_each_function_has_a_crate() {
    let deployed = template_functions();
    assert_eq!(
        router_functions(),
        deployed,
        "Cargo.toml router vs template.yaml"
    );
    let mut binaries: Vec<String> = deployed.into_iter().map(|(_, f)| f).collect();
    binaries.sort();
    binaries.dedup();
    let mut crates: Vec<String> = std::fs::read_dir(format!("{REPO}/functions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    crates.sort();
    assert_eq!(crates, binaries, "functions/* vs template.yaml's binaries");
    for name in &crates {
        let manifest =
            std::fs::read_to_string(format!("{REPO}/functions/{name}/Cargo.toml")).unwrap();
        let manifest: toml::Value = toml::from_str(&manifest).unwrap();
        assert_eq!(
            manifest["package"]["name"].as_str(),
            Some(name.as_str()),
            "functions/{name}"
        );
    }
}

#[test]
fn the_published_request_example_fits_the_documented_schema() {
    let body = serde_json::from_str(SEED_CREATE_BODY).unwrap();
    check_request("POST", "/v1/companies/{company_id}/profiles", &body).unwrap();
    let unknown =
        serde_json::json!({"register_type": "x", "information_provider": "y", "extra": 1});
    assert!(check_request("POST", "/v1/companies/{company_id}/profiles", &unknown).is_err());
}

/// The routes of the contract (`shared/spec/API.md`, §5), but those it marks as later work.
fn spec_routes() -> Vec<Route> {
    let text = std::fs::read_to_string(format!("{REPO}/../shared/spec/API.md"))
        .expect("the contract lives in ../shared/spec/API.md beside the checkout");
    let mut routes = Vec::new();
    let sections: Vec<&str> = text.split("\n### ").skip(1).collect();
    for section in sections {
        let heading = section.lines().next().unwrap_or_default();
        let body: String = section
            .lines()
            .skip(1)
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        if body.trim_start().starts_with("Later work") {
            continue;
        }
        let Some(route) = heading.split('`').nth(1) else {
            continue;
        };
        let (method, path) = route.split_once(' ').unwrap();
        routes.push(Route {
            method: method.to_owned(),
            path: path.split('?').next().unwrap().to_owned(),
        });
    }
    routes.sort();
    // §5.4 and §5.11 share one route (told apart by `operation`).
    routes.dedup();
    routes
}

/// Routes of the contract that the open issues are building, each with its issue. Empty once
/// the contract is complete; a route leaves this list in the change that deploys it.
const BEING_BUILT: &[(&str, &str, u32)] = &[
    (
        "GET",
        "/v1/companies/{company_id}/profiles/{uuid}/events",
        25,
    ),
    ("GET", "/v1/companies/{company_id}/events", 25),
    (
        "POST",
        "/v1/companies/{company_id}/profiles/login/passkey",
        27,
    ),
];

#[test]
fn every_route_of_the_contract_has_a_function_and_every_function_a_route() {
    let spec = spec_routes();
    assert_eq!(
        spec.len(),
        14,
        "§5.1-§5.17: §5.4, §5.11 and §5.15 share one route, §5.17 has none of its own: {spec:?}"
    );
    let deployed = template_routes();
    for route in &deployed {
        assert!(
            spec.contains(route),
            "{route:?} is deployed but not in the contract"
        );
    }
    let mut missing: Vec<(String, String)> = spec
        .iter()
        .filter(|route| !deployed.contains(route))
        .map(|route| (route.method.clone(), route.path.clone()))
        .collect();
    let mut planned: Vec<(String, String)> = BEING_BUILT
        .iter()
        .map(|(method, path, _)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    planned.sort();
    missing.sort();
    assert_eq!(
        missing, planned,
        "the contract's routes without a function must be exactly those BEING_BUILT"
    );
}

#[test]
fn every_function_gets_the_tables_the_store_reads() {
    let text = std::fs::read_to_string(format!("{REPO}/template.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let env = &doc["Globals"]["Function"]["Environment"]["Variables"];
    // `Tables::from_env` reads these two variables; each must name a table of the template.
    for (variable, table) in [
        ("PROFILES_TABLE", "ProfilesTable"),
        ("COMPANIES_TABLE", "CompaniesTable"),
    ] {
        let reference = format!("{:?}", env[variable]);
        assert!(reference.contains(table), "{variable}: {reference}");
        assert_eq!(
            doc["Resources"][table]["Type"].as_str(),
            Some("AWS::DynamoDB::Table"),
            "{table}"
        );
    }
}

#[test]
fn the_throttles_alarm_watches_every_function_and_each_has_a_log_group() {
    let text = std::fs::read_to_string(format!("{REPO}/template.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let resources = doc["Resources"].as_mapping().unwrap();
    let functions: Vec<&str> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(id, _)| id.as_str().unwrap())
        .collect();
    assert!(!functions.is_empty());
    let alarm = format!("{:?}", doc["Resources"]["LambdaThrottlesAlarm"]);
    let expression =
        doc["Resources"]["LambdaThrottlesAlarm"]["Properties"]["Metrics"][0]["Expression"]
            .as_str()
            .unwrap()
            .to_owned();
    for (i, function) in functions.iter().enumerate() {
        assert!(
            alarm.contains(&format!("\"{function}\"")),
            "the throttles alarm does not watch {function}"
        );
        assert!(
            expression.contains(&format!("t{}", i + 1)),
            "the throttles expression adds fewer metrics than there are functions: {expression}"
        );
        let logs = format!("${{{function}}}");
        assert!(
            resources
                .values()
                .any(|r| r["Type"].as_str() == Some("AWS::Logs::LogGroup")
                    && format!("{:?}", r["Properties"]["LogGroupName"]).contains(&logs)),
            "{function} has no log group with a retention"
        );
    }
}
