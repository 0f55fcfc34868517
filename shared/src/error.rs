//! The one error type every endpoint and rule returns, in the contract's terms (status, resource,
//! sentence); the HTTP edge turns it into a response ([`crate::envelope`]).

use std::borrow::Cow;

use serde_json::json;

use crate::resource::Resource;
use crate::store::StoreError;

/// Everything that can go wrong while serving a request.
///
/// Client errors carry the sentence the caller sees; server errors carry a cause that goes to
/// the log only, so internals never leak into a response. An error converted from a store
/// error (by `?`) names no resource yet: the handler's [`respond`](crate::endpoints) gives it
/// the endpoint's, and logs it, outside the conversion.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 in the authentication shape of the contract.
    #[error("invalid or expired token")]
    Unauthorized,
    /// 403 in the authentication shape of the contract.
    #[error("token may not act on this company")]
    Forbidden,
    /// A 4xx in the error envelope.
    #[error("{status} {resource:?}: {errors:?}")]
    Client {
        status: u16,
        resource: Resource,
        errors: Option<Cow<'static, str>>,
    },
    /// A 500: a bug or an unexpected answer from a dependency.
    #[error("internal error: {cause}")]
    Internal {
        resource: Option<Resource>,
        cause: String,
    },
    /// A 503: a dependency (DynamoDB, the token server) is down, slow or throttling.
    #[error("service unavailable: {cause}")]
    Unavailable {
        resource: Option<Resource>,
        cause: String,
    },
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => Self::Unavailable {
                resource: None,
                cause,
            },
            StoreError::Failed(cause) | StoreError::Corrupt(cause) => Self::Internal {
                resource: None,
                cause,
            },
        }
    }
}

impl ApiError {
    pub fn bad_request(resource: Resource, errors: impl Into<Cow<'static, str>>) -> Self {
        Self::client(400, resource, Some(errors.into()))
    }

    pub fn not_found(resource: Resource) -> Self {
        Self::client(404, resource, None)
    }

    pub fn conflict(resource: Resource, errors: impl Into<Cow<'static, str>>) -> Self {
        Self::client(409, resource, Some(errors.into()))
    }

    pub fn unprocessable(resource: Resource, errors: impl Into<Cow<'static, str>>) -> Self {
        Self::client(422, resource, Some(errors.into()))
    }

    pub fn payload_too_large(resource: Resource, errors: impl Into<Cow<'static, str>>) -> Self {
        Self::client(413, resource, Some(errors.into()))
    }

    pub fn client(status: u16, resource: Resource, errors: Option<Cow<'static, str>>) -> Self {
        Self::Client {
            status,
            resource,
            errors,
        }
    }

    pub fn internal(resource: Resource, cause: impl Into<String>) -> Self {
        Self::Internal {
            resource: Some(resource),
            cause: cause.into(),
        }
    }

    pub fn unavailable(resource: Resource, cause: impl Into<String>) -> Self {
        Self::Unavailable {
            resource: Some(resource),
            cause: cause.into(),
        }
    }

    /// The same error, naming `resource` if it names none yet.
    pub fn or_resource(self, resource: Resource) -> Self {
        match self {
            Self::Internal {
                resource: None,
                cause,
            } => Self::internal(resource, cause),
            Self::Unavailable {
                resource: None,
                cause,
            } => Self::unavailable(resource, cause),
            other => other,
        }
    }

    /// Writes a server-side error's cause to the log; client errors are the caller's business.
    pub fn log(&self) {
        match self {
            Self::Internal { cause, .. } => {
                tracing::error!(status = self.status(), cause = %cause, "request failed");
            }
            Self::Unavailable { cause, .. } => {
                tracing::warn!(status = self.status(), cause = %cause, "dependency unavailable");
            }
            _ => {}
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::Client { status, .. } => *status,
            Self::Internal { .. } => 500,
            Self::Unavailable { .. } => 503,
        }
    }

    /// The response body the contract prescribes for this error (also what `idp-admin
    /// import` writes for a rejected line, so a line gets exactly Create's answer).
    pub fn body(&self) -> serde_json::Value {
        let status = self.status();
        match self {
            Self::Unauthorized => json!({"status": 401, "error": "Invalid or expired token"}),
            Self::Forbidden => json!({"code": 403, "message": "Forbidden"}),
            Self::Client {
                resource, errors, ..
            } => error_envelope(status, *resource, errors.as_deref()),
            Self::Internal { resource, .. } => error_envelope(
                status,
                resource.unwrap_or(UNNAMED),
                Some("The request could not be completed because of an internal error"),
            ),
            Self::Unavailable { resource, .. } => error_envelope(
                status,
                resource.unwrap_or(UNNAMED),
                Some("The service is temporarily unavailable, please retry"),
            ),
        }
    }
}

/// `?` for a call whose errors belong to another resource than the endpoint's.
pub trait InResource<T> {
    fn in_resource(self, resource: Resource) -> Result<T, ApiError>;
}

impl<T, E: Into<ApiError>> InResource<T> for Result<T, E> {
    fn in_resource(self, resource: Resource) -> Result<T, ApiError> {
        self.map_err(|error| error.into().or_resource(resource))
    }
}

/// The resource of a server error no handler named (every handler names one in `respond`).
const UNNAMED: Resource = Resource::Profile;

fn error_envelope(status: u16, resource: Resource, errors: Option<&str>) -> serde_json::Value {
    let mut body = json!({
        "code": status,
        "resource": resource.as_str(),
        "message": message_for(status),
    });
    if let (Some(errors), Some(map)) = (errors, body.as_object_mut()) {
        map.insert("errors".into(), errors.into());
    }
    body
}

/// The envelope's `message` word for each status, as the published pages spell it.
pub fn message_for(status: u16) -> &'static str {
    match status {
        400 => "Bad request",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        413 => "Payload too large",
        422 => "Fail",
        429 => "Too many requests",
        500 => "Internal server error",
        501 => "Not Implemented",
        503 => "Service unavailable",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the edge turns into a response: the status and the body.
    struct Answer(u16, serde_json::Value);

    impl Answer {
        fn status(&self) -> u16 {
            self.0
        }
    }

    impl ApiError {
        fn answer(self) -> Answer {
            Answer(self.status(), self.body())
        }
    }

    fn body_of(answer: Answer) -> serde_json::Value {
        answer.1
    }

    #[test]
    fn auth_errors_use_their_own_shapes() {
        let r = ApiError::Unauthorized.answer();
        assert_eq!(r.status(), 401);
        assert_eq!(
            body_of(r),
            json!({"status": 401, "error": "Invalid or expired token"})
        );
        let r = ApiError::Forbidden.answer();
        assert_eq!(r.status(), 403);
        assert_eq!(body_of(r), json!({"code": 403, "message": "Forbidden"}));
    }

    #[test]
    fn not_found_has_no_errors_key() {
        let r = ApiError::not_found(Resource::CompanyConfig).answer();
        assert_eq!(
            body_of(r),
            json!({"code": 404, "resource": "Company Config", "message": "Not found"})
        );
    }

    #[test]
    fn store_errors_convert_and_take_the_endpoints_resource_unless_named() {
        let converted = ApiError::from(StoreError::Unavailable("throttled".into()));
        let r = converted.or_resource(Resource::ProfileCredential).answer();
        assert_eq!(r.status(), 503);
        assert_eq!(body_of(r)["resource"], "Profile Credential");
        let r = ApiError::from(StoreError::Corrupt("bad item".into()))
            .or_resource(Resource::Profile)
            .answer();
        assert_eq!(r.status(), 500);
        assert_eq!(body_of(r)["resource"], "Profile");
        // An error that already names its resource keeps it.
        let named = ApiError::internal(Resource::CompanyConfig, "x").or_resource(Resource::Profile);
        assert_eq!(body_of(named.answer())["resource"], "Company Config");
    }

    #[test]
    fn server_errors_hide_their_cause() {
        let r = ApiError::internal(Resource::Profile, "secret detail").answer();
        assert_eq!(r.status(), 500);
        let text = body_of(r).to_string();
        assert!(!text.contains("secret detail"));
        assert!(text.contains("internal error"));
    }
}
