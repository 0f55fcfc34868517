//! `PATCH /v1/companies/{company_id}/profiles/{uuid}`: the operations that share this path
//! (one Lambda function), told apart by the body's `operation`.
//!
//! Authentication, the company check and the body's shape come first, for every operation
//! alike; then each operation checks the rest of its body. An operation this path does not
//! have is checked as `credentials` is and answered 501 (§5.4); `update` is §5.11,
//! `two_factor` §5.15.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};

use super::{add_password, respond, two_factor, update_profile};
use crate::app::App;
use crate::envelope::Resource;
use crate::error::ApiError;
use crate::request::parse_json;

/// The operations of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    /// Add a first password (§5.4).
    Credentials,
    /// Change the profile's values (§5.11).
    Update,
    /// Enrol, confirm or remove second factors (§5.15).
    TwoFactor,
    /// Anything else, or none: refused with 501 once the body is checked.
    Unsupported,
}

impl Operation {
    fn of(body: &Map<String, Value>) -> Self {
        match body.get("operation").and_then(Value::as_str) {
            Some("credentials") => Self::Credentials,
            Some("update") => Self::Update,
            Some("two_factor") => Self::TwoFactor,
            _ => Self::Unsupported,
        }
    }
}

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(Resource::Profile, dispatch(&app, &req).await)
}

async fn dispatch(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (company, actor, scopes) = app.authorize_scoped(req, Resource::Profile).await?;
    let body: Map<String, Value> = parse_json(req, Resource::Profile)?;
    match Operation::of(&body) {
        Operation::Credentials | Operation::Unsupported => {
            add_password::add(app, req, (company, actor), body).await
        }
        Operation::Update => update_profile::update(app, req, (company, actor), body).await,
        Operation::TwoFactor => {
            two_factor::two_factor(app, req, (company, actor, scopes), body).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(body: Value) -> Operation {
        Operation::of(body.as_object().unwrap())
    }

    #[test]
    fn operations_are_told_apart_by_their_exact_name() {
        assert_eq!(
            op(json!({"operation": "credentials"})),
            Operation::Credentials
        );
        assert_eq!(op(json!({"operation": "update"})), Operation::Update);
        assert_eq!(op(json!({"operation": "two_factor"})), Operation::TwoFactor);
        for other in [
            json!({}),
            json!({"operation": "Credentials"}),
            json!({"operation": ["credentials"]}),
            json!({"operation": "Update"}),
            json!({"operation": "delete"}),
        ] {
            assert_eq!(op(other), Operation::Unsupported);
        }
    }
}
