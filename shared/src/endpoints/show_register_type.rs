//! `GET /v1/companies/{company_id}/register_types/{register_name}/information_provider/{provider_name}`
//! (§5.9): one register type of the company.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};

use super::{register_types, respond};
use crate::app::App;
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::request::path_param;

const RESOURCE: Resource = Resource::RegisterType;

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, show(&app, &req).await)
}

async fn show(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let company = app.authorize(req, RESOURCE).await?;
    let config = app.company_config(&company, RESOURCE).await?;
    let name = path_param(req, "register_name").unwrap_or_default();
    let provider = path_param(req, "provider_name").unwrap_or_default();
    // An unknown form, an unknown provider and a form not offered through that provider are
    // the same answer: no such register type.
    let pairs = config.register_pairs();
    let pair = pairs
        .iter()
        .find(|pair| pair.name == name && pair.provider == provider)
        .ok_or(ApiError::not_found(RESOURCE))?;
    Ok(success(
        200,
        RESOURCE,
        Some(register_types::public_json(&config, pair)),
        "Found",
    ))
}
