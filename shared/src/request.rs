//! Reading what a request carries, in one module of the HTTP edge: path and query parameters
//! (`{uuid}`, `fields`, `disabled_profile`, `page`/`per_page` through [`crate::pagination`])
//! and the JSON body, parsed by [`crate::json_body`].

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

use crate::domain::{ProfileField, ProfileId, shown_name};
use crate::envelope::Resource;
use crate::error::ApiError;
use crate::json_body::parse_json_bytes;
pub use crate::json_body::{MAX_BODY_BYTES, from_object};
use crate::pagination::Page;

pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters().first(name).map(str::to_owned)
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters().first(name).map(str::to_owned)
}

/// The caller's IP as API Gateway saw it (`None` outside API Gateway).
pub fn source_ip(req: &Request) -> Option<String> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.clone(),
        RequestContext::ApiGatewayV1(context) => context.identity.source_ip.clone(),
        // Other event sources (a future feature of lambda_http) carry no caller IP we read.
        _ => None,
    }
}

/// The Lambda invocation's request id (`None` outside Lambda).
pub fn request_id(req: &Request) -> Option<String> {
    req.lambda_context_ref()
        .map(|context| context.request_id.clone())
        .filter(|id| !id.is_empty())
}

/// The body as bytes (empty when there is none).
pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// Parses the body as `T`. Errors never echo values from the body, only field names, because
/// a body may carry a password.
///
/// Nested structs in `T` would accept arrays too (serde's sequence form of a struct); bodies
/// keep nested objects as maps and read them explicitly instead.
pub fn parse_json<T: DeserializeOwned>(req: &Request, resource: Resource) -> Result<T, ApiError> {
    parse_json_bytes(body_bytes(req), resource)
}

/// The `{uuid}` of the path; a malformed one cannot name a profile, so it is the same 404.
pub fn profile_id(req: &Request) -> Result<ProfileId, ApiError> {
    path_param(req, "uuid")
        .as_deref()
        .and_then(ProfileId::parse)
        .ok_or(ApiError::not_found(Resource::Profile))
}

/// `?disabled_profile=`: `true` includes disabled profiles; absent or `false` does not.
pub fn include_disabled(req: &Request) -> Result<bool, ApiError> {
    parse_disabled(query_param(req, "disabled_profile").as_deref())
}

/// `disabled_profile`: absent or `false`, or `true`.
pub fn parse_disabled(raw: Option<&str>) -> Result<bool, ApiError> {
    match raw {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad_request(
            Resource::Profile,
            "Query parameter `disabled_profile` must be true or false",
        )),
    }
}

/// `?page=&per_page=` of a listing, as [`Page::parse`] reads them.
pub fn page(req: &Request, resource: Resource) -> Result<Page, ApiError> {
    Page::parse(
        query_param(req, "page").as_deref(),
        query_param(req, "per_page").as_deref(),
    )
    .map_err(|why| ApiError::bad_request(resource, why))
}

/// Parses `?fields=email,name`, keeping the API's field order and dropping repeats.
pub fn requested_fields(query: Option<&str>) -> Result<Vec<ProfileField>, ApiError> {
    let Some(query) = query else {
        return Ok(Vec::new());
    };
    let mut fields = Vec::new();
    for name in query.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let field: ProfileField = name.parse().map_err(|_| {
            let shown = shown_name(name);
            ApiError::bad_request(
                Resource::Profile,
                format!("Query parameter `fields` names an unknown field `{shown}`"),
            )
        })?;
        fields.push(field);
    }
    fields.sort();
    fields.dedup();
    Ok(fields)
}
