//! One module per endpoint; each exposes `handle`, the function its Lambda binary serves.

pub mod create_profile;
pub mod show_profile;

use lambda_http::{Body, Response};

use crate::error::ApiError;

fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(ApiError::into_response)
}
