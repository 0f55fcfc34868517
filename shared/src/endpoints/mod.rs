//! One module per endpoint; each exposes `handle`, the function its Lambda binary serves.

pub mod add_password;
pub mod create_profile;
pub mod delete_profile;
pub mod list_register_types;
pub mod login;
pub mod password_change;
pub mod patch_profile;
pub mod profile_status;
mod register_types;
pub mod search_profiles;
pub mod show_company;
pub mod show_profile;
pub mod show_register_type;
mod update_profile;

use lambda_http::{Body, Request, Response};

use crate::domain::ProfileId;
use crate::envelope::Resource;
use crate::error::ApiError;
use crate::request::path_param;

/// The handler's answer: its response, or its error as the contract shapes it. An error that
/// names no resource yet (a store error passed up by `?`) gets the endpoint's `resource`;
/// server-side causes are logged here, once, not where errors are made.
fn respond(resource: Resource, result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(|error| {
        let error = error.or_resource(resource);
        error.log();
        error.into_response()
    })
}

/// The `{uuid}` of the path; a malformed one cannot name a profile, so it is the same 404.
fn profile_id(req: &Request) -> Result<ProfileId, ApiError> {
    path_param(req, "uuid")
        .as_deref()
        .and_then(ProfileId::parse)
        .ok_or(ApiError::not_found(Resource::Profile))
}

pub const PROFILE_NOT_ACTIVE: &str = "Profile is not active";

/// `?disabled_profile=`: `true` includes disabled profiles; absent or `false` does not.
fn include_disabled(req: &Request) -> Result<bool, ApiError> {
    parse_disabled(crate::request::query_param(req, "disabled_profile").as_deref())
}

/// `disabled_profile`: absent or `false`, or `true`.
fn parse_disabled(raw: Option<&str>) -> Result<bool, ApiError> {
    match raw {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad_request(
            Resource::Profile,
            "Query parameter `disabled_profile` must be true or false",
        )),
    }
}
