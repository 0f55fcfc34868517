//! `GET /v1/companies/{company_id}` (§5.8): what a company accepts, for an app about to show
//! a registration or login form. Only the shape of the forms: no policy internals.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};

use super::respond;
use crate::app::App;
use crate::company::{CompanyConfig, LoginForm};
use crate::envelope::{Resource, success};
use crate::error::ApiError;

const RESOURCE: Resource = Resource::CompanyConfig;

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, show(&app, &req).await)
}

async fn show(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let company = app.authorize(req, RESOURCE).await?;
    let config = app.company_config(&company, RESOURCE).await?;
    Ok(success(200, RESOURCE, Some(public_json(&config)), "Found"))
}

/// The configuration as §5.8 shows it.
pub fn public_json(config: &CompanyConfig) -> Value {
    let mut unique_fields: Vec<&str> = Vec::new();
    for field in config.identifier_sets.iter().flat_map(|set| set.fields()) {
        if !unique_fields.contains(&field.as_str()) {
            unique_fields.push(field.as_str());
        }
    }
    let relation: Vec<Vec<&str>> = config
        .identifier_sets
        .iter()
        .map(|set| set.fields().iter().map(|f| f.as_str()).collect())
        .collect();
    let registers: Vec<[&str; 2]> = config
        .register_pairs()
        .iter()
        .map(|pair| [pair.name, pair.provider])
        .collect();
    let logins: Vec<String> = config.login_forms.iter().map(LoginForm::name).collect();
    json!({
        "company_id": config.company_id,
        "company_name": config.name,
        "unique_fields": unique_fields,
        "unique_fields_relation": relation,
        "allowed_registers": registers,
        "allowed_logins": logins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_forms_and_nothing_of_the_policies() {
        let config = CompanyConfig::from_value(json!({
            "company_id": "-1",
            "name": "Test Company",
            "identifier_sets": [["nin"], ["email", "origin"], ["email"]],
            "information_providers": ["test_idp", "google"],
            "register_types": {
                "nin_register": {"required": ["nin"], "allowed": ["nin", "email", "origin"]},
                "social": {"required": ["email"], "allowed": ["email"], "information_providers": ["google"]}
            },
            "login_forms": [{"identifiers": ["email", "origin"], "authenticators": ["password"]}],
            "password_policy": {"min_length": 12}
        }))
        .unwrap();
        assert_eq!(
            public_json(&config),
            json!({
                "company_id": "-1",
                "company_name": "Test Company",
                "unique_fields": ["nin", "email", "origin"],
                "unique_fields_relation": [["nin"], ["email", "origin"], ["email"]],
                "allowed_registers": [["nin_register", "google"], ["nin_register", "test_idp"], ["social", "google"]],
                "allowed_logins": ["email_origin_password"]
            })
        );
    }
}
