//! The success envelope of the contract and JSON responses.

use lambda_http::{Body, Response};
use serde_json::{Value, json};

use crate::error::ApiError;
pub use crate::resource::Resource;

impl ApiError {
    /// Turns the error into the response the contract prescribes. It logs nothing: see
    /// [`ApiError::log`].
    pub fn into_response(self) -> Response<Body> {
        json_response(self.status(), &self.body())
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
