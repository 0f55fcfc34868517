//! `GET /v1/companies/{company_id}/profiles/{uuid}?disabled_profile=true` (§5.2).

use std::sync::Arc;

use lambda_http::{Body, Request, Response};

use super::respond;
use crate::app::App;
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::request::profile_id;

const RESOURCE: Resource = Resource::Profile;

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, show(&app, &req).await)
}

async fn show(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let company = app.authorize(req, RESOURCE).await?;
    let include_disabled = crate::request::include_disabled(req)?;
    let id = profile_id(req)?;
    let profile = app
        .store
        .get_profile(&company, id)
        .await?
        .filter(|profile| profile.active || include_disabled)
        .ok_or(ApiError::not_found(RESOURCE))?;
    Ok(success(
        200,
        RESOURCE,
        Some(profile.to_public_json()),
        "Found",
    ))
}
