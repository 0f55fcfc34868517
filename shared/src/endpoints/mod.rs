//! One module per endpoint; each exposes `handle`, the function its Lambda binary serves.

pub mod add_password;
pub mod company_events;
pub mod create_profile;
pub mod delete_profile;
mod events;
pub mod list_register_types;
pub mod login;
pub mod login_passkey;
pub mod password_change;
pub mod patch_profile;
pub mod profile_events;
pub mod profile_status;
mod register_types;
pub mod search_profiles;
mod second_factor;
pub mod show_company;
pub mod show_profile;
pub mod show_register_type;
mod two_factor;
mod update_profile;

use lambda_http::{Body, Response};

use crate::envelope::Resource;
use crate::error::ApiError;

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

pub const PROFILE_NOT_ACTIVE: &str = "Profile is not active";
