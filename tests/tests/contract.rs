//! The route table (`idp_core::routes::ROUTES`), `openapi.yaml`, `template.yaml`, the local
//! router and the functions package describe the same API, and the contract's routes are all
//! in it but those being built.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::openapi::{check_request, document};
use blackbox_tests::{REPO, Route, SEED_CREATE_BODY, template_functions};
use idp_core::routes::{self, ROUTES};

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

/// The route table (`idp_core::routes::ROUTES`): what every other list is checked against.
fn table_functions() -> Vec<(Route, String)> {
    let mut routes: Vec<(Route, String)> = ROUTES
        .iter()
        .map(|row| {
            let route = Route {
                method: row.method.to_owned(),
                path: row.path.to_owned(),
            };
            (route, row.function.to_owned())
        })
        .collect();
    routes.sort();
    routes
}

#[test]
fn the_route_table_is_what_is_deployed_served_locally_and_documented() {
    let table = table_functions();
    assert_eq!(
        template_functions(),
        table,
        "template.yaml (functions' Binary and HttpApi events) vs idp_core::routes::ROUTES"
    );
    assert_eq!(
        router_functions(),
        table,
        "Cargo.toml's [workspace.metadata.lambda.watch.router] vs idp_core::routes::ROUTES"
    );
    let routes: Vec<Route> = table.into_iter().map(|(route, _)| route).collect();
    assert_eq!(
        openapi_routes(),
        routes,
        "openapi.yaml's paths vs idp_core::routes::ROUTES"
    );
    for row in &ROUTES {
        let operation = &document()["paths"][row.path][row.method.to_lowercase()];
        assert_eq!(
            operation["summary"].as_str(),
            Some(row.summary),
            "openapi.yaml's summary of {} {}",
            row.method,
            row.path
        );
    }
}

#[test]
fn each_function_of_the_route_table_is_one_binary_serving_its_handler() {
    let mut binaries: Vec<String> = std::fs::read_dir(format!("{REPO}/functions/src/bin"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .map(|name| name.strip_suffix(".rs").unwrap().to_owned())
        .collect();
    binaries.sort();
    let mut functions: Vec<String> = routes::functions().into_iter().map(String::from).collect();
    functions.sort();
    assert_eq!(
        binaries, functions,
        "functions/src/bin/*.rs vs idp_core::routes::ROUTES"
    );
    for function in &functions {
        let source =
            std::fs::read_to_string(format!("{REPO}/functions/src/bin/{function}.rs")).unwrap();
        let handler = format!(
            "idp_core::serve(idp_core::endpoints::{}::handle)",
            routes::handler_module(function)
        );
        assert!(
            source.contains(&handler),
            "functions/src/bin/{function}.rs must serve {handler}"
        );
    }
    // template.yaml describes each function by its route.
    let text = std::fs::read_to_string(format!("{REPO}/template.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    for resource in doc["Resources"].as_mapping().unwrap().values() {
        let Some(binary) = resource["Metadata"]["BuildProperties"]["Binary"].as_str() else {
            continue;
        };
        let description = resource["Properties"]["Description"].as_str().unwrap_or("");
        assert!(
            routes::of_function(binary)
                .any(|row| description.starts_with(&format!("{} {}", row.method, row.path))),
            "template.yaml's Description of {binary}: {description}"
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
const BEING_BUILT: &[(&str, &str, u32)] = &[];

#[test]
fn every_route_of_the_contract_has_a_function_and_every_function_a_route() {
    let spec = spec_routes();
    assert_eq!(
        spec.len(),
        14,
        "§5.1-§5.17: §5.4, §5.11 and §5.15 share one route, §5.17 has none of its own: {spec:?}"
    );
    let deployed: Vec<Route> = table_functions()
        .into_iter()
        .map(|(route, _)| route)
        .collect();
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
