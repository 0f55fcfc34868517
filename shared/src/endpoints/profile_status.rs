//! `PATCH /v1/companies/{company_id}/profiles/{uuid}/status` (§5.5): activate or deactivate.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::respond;
use crate::app::App;
use crate::audit::{Event, EventType};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::request::parse_json;
use crate::request::profile_id;
use crate::store::StatusChange;

const RESOURCE: Resource = Resource::Profile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    operation: Option<String>,
}

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, change(&app, &req).await)
}

async fn change(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (company, actor) = app.authorize_actor(req, RESOURCE).await?;
    let body: StatusBody = parse_json(req, RESOURCE)?;
    let (active, done, already) = match body.operation.as_deref() {
        Some("activate") => (true, "Activated", "Profile is already active"),
        Some("deactivate") => (false, "Deactivated", "Profile is already inactive"),
        _ => {
            return Err(ApiError::bad_request(
                RESOURCE,
                "Operation field is null or not supported (use activate or deactivate)",
            ));
        }
    };
    let id = profile_id(req)?;
    let config = app.company_config(&company, RESOURCE).await?;
    let kind = if active {
        EventType::ProfileActivated
    } else {
        EventType::ProfileDeactivated
    };
    let event = Event::success(kind, id, &App::trail(actor, &config));
    match app.store.set_active(&company, id, active, &event).await? {
        StatusChange::Changed(profile) => {
            tracing::info!(company = %company, profile = %id, active, "profile status changed");
            Ok(success(200, RESOURCE, Some(profile.to_public_json()), done))
        }
        StatusChange::NotFound => Err(ApiError::not_found(RESOURCE)),
        StatusChange::Unchanged => Err(ApiError::conflict(RESOURCE, already)),
    }
}
