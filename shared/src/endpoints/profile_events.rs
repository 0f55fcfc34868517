//! `GET /v1/companies/{company_id}/profiles/{uuid}/events` (§5.13): a profile's audit trail,
//! newest first, readable after its erasure.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};

use super::events::{Whose, page};
use super::respond;
use crate::app::App;
use crate::envelope::Resource;
use crate::error::ApiError;
use crate::request::path_param;

const RESOURCE: Resource = Resource::ProfileEvents;

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, list(&app, &req).await)
}

async fn list(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let company = app.authorize(req, RESOURCE).await?;
    // A malformed uuid names no profile that could have events: the same empty trail would
    // hide a typo, so it is refused.
    let id = path_param(req, "uuid")
        .as_deref()
        .and_then(crate::domain::ProfileId::parse)
        .ok_or_else(|| ApiError::bad_request(RESOURCE, "Path parameter `uuid` must be a UUID"))?;
    page(app, req, &company, Whose::Profile(id), RESOURCE).await
}
