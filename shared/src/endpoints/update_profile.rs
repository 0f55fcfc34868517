//! `PATCH /v1/companies/{company_id}/profiles/{uuid}` with `operation: "update"` (§5.11):
//! changes a profile's values, identifiers included. [`super::patch_profile`] routes the
//! path's requests here.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::PROFILE_NOT_ACTIVE;
use crate::app::App;
use crate::audit::{Actor, Event, EventType};
use crate::domain::{CompanyId, ProfileAttributes};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::request::from_object;
use crate::request::profile_id;
use crate::rules::registration::{ALREADY_PRESENT, checked_change};
use crate::store::UpdateOutcome;

const RESOURCE: Resource = Resource::Profile;

/// A profile changed by another request between this one's read and its write is read again
/// and the change applied to what is there now, at most this many times; then 409.
const STALE_RETRIES: u32 = 3;

pub const CHANGED_CONCURRENTLY: &str =
    "Profile was changed by other requests at the same time: try again";
pub const NOTHING_TO_UPDATE: &str = "Field `profile` must name at least one profile field";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[allow(dead_code)]
    operation: String,
    profile: Map<String, Value>,
}

pub(super) async fn update(
    app: &App,
    req: &Request,
    (company, actor): (CompanyId, Actor),
    body: Map<String, Value>,
) -> Result<Response<Body>, ApiError> {
    let body: UpdateBody = from_object(body, RESOURCE)?;
    if body.profile.is_empty() {
        return Err(ApiError::bad_request(RESOURCE, NOTHING_TO_UPDATE));
    }
    let (set, removed) = ProfileAttributes::parse_change(&body.profile)
        .map_err(|e| ApiError::bad_request(RESOURCE, e.to_string()))?;
    let id = profile_id(req)?;
    let config = app.company_config(&company, RESOURCE).await?;
    let trail = App::trail(actor, &config);

    for _ in 0..STALE_RETRIES {
        let current = app
            .store
            .profile_for_change(&company, id)
            .await?
            .ok_or(ApiError::not_found(RESOURCE))?;
        if !current.profile.active {
            return Err(ApiError::conflict(RESOURCE, PROFILE_NOT_ACTIVE));
        }
        let (attributes, identifiers) = checked_change(
            &config,
            &current.register_type,
            &current.profile.attributes,
            &set,
            &removed,
        )?;
        let event = Event {
            changed_fields: current.profile.attributes.changed_fields(&attributes),
            ..Event::success(EventType::ProfileUpdated, id, &trail)
        };
        match app
            .store
            .update_profile(&current, &attributes, &identifiers, &event)
            .await?
        {
            UpdateOutcome::Updated(profile) => {
                tracing::info!(company = %company, profile = %id, "profile updated");
                return Ok(success(
                    200,
                    RESOURCE,
                    Some(profile.to_public_json()),
                    "Updated",
                ));
            }
            UpdateOutcome::IdentifierTaken => {
                return Err(ApiError::bad_request(RESOURCE, ALREADY_PRESENT));
            }
            UpdateOutcome::Stale => continue,
        }
    }
    Err(ApiError::conflict(RESOURCE, CHANGED_CONCURRENTLY))
}
