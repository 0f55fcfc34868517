//! `DELETE /v1/companies/{company_id}/profiles/{uuid}` (§5.12): erasure. Every item of the
//! profile goes in one transaction (`Store::erase_profile`); its identifiers are free again
//! when the answer is sent.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use serde_json::json;

use super::respond;
use crate::app::App;
use crate::audit::{Event, EventType};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::request::profile_id;
use crate::store::EraseOutcome;

const RESOURCE: Resource = Resource::Profile;

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, erase(&app, &req).await)
}

async fn erase(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (company, actor) = app.authorize_actor(req, RESOURCE).await?;
    let id = profile_id(req)?;
    let config = app.company_config(&company, RESOURCE).await?;
    let event = Event::success(EventType::ProfileDeleted, id, &App::trail(actor, &config));
    match app.store.erase_profile(&company, id, &event).await? {
        EraseOutcome::NotFound => Err(ApiError::not_found(RESOURCE)),
        EraseOutcome::Erased => {
            // The uuid only: the erased values must not live on in the logs either.
            tracing::info!(company = %company, profile = %id, "profile erased");
            Ok(success(
                200,
                RESOURCE,
                Some(json!({"uuid": id.to_string()})),
                "Deleted",
            ))
        }
    }
}
