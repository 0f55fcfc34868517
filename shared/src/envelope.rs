//! The success envelope of the contract and JSON responses.

use lambda_http::{Body, Response};
use serde_json::{Value, json};

/// The `resource` word of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Profile,
    CompanyConfig,
    RegisterType,
    ProfileCredential,
    ProfileCredentials,
    ChangePassword,
    RequestChangePassword,
    ConfirmChangePassword,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Profile => "Profile",
            Self::CompanyConfig => "Company Config",
            Self::RegisterType => "Register Type",
            Self::ProfileCredential => "Profile Credential",
            Self::ProfileCredentials => "Profile Credentials",
            Self::ChangePassword => "Change Password",
            Self::RequestChangePassword => "Request Change Password",
            Self::ConfirmChangePassword => "Confirm Change Password",
        }
    }
}

/// `{"code", "resource", "data", "message"}`; `data` is left out when there is none.
pub fn success(
    status: u16,
    resource: Resource,
    data: Option<Value>,
    message: &str,
) -> Response<Body> {
    let mut body = json!({"code": status, "resource": resource.as_str()});
    if let (Some(data), Some(map)) = (data, body.as_object_mut()) {
        map.insert("data".into(), data);
    }
    if let Some(map) = body.as_object_mut() {
        map.insert("message".into(), message.into());
    }
    json_response(status, &body)
}

pub fn json_response(status: u16, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = lambda_http::http::StatusCode::from_u16(status)
        .unwrap_or(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    response
}
