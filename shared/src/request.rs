//! Reading what a request carries, in one module of the HTTP edge: path and query parameters
//! (`{uuid}`, `fields`, `disabled_profile`, `page`/`per_page` through [`crate::pagination`])
//! and the JSON body, parsed by [`crate::json_body`].

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

pub use crate::domain::percent_encode;
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

/// What a page of the audit trail asks for (`?limit=&from=&until=&type=&cursor=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsQuery {
    pub limit: usize,
    pub filter: crate::store::EventFilter,
    pub cursor: Option<String>,
}

/// The audit trail's default and largest page.
pub const EVENTS_DEFAULT_LIMIT: usize = 20;
pub const EVENTS_MAX_LIMIT: usize = 100;

/// Reads `limit` (1–100, default 20), `from` and `until` (ISO 8601, inclusive), `type` (a
/// type or a family ending in `.`) and `cursor`, each refused with a sentence naming it.
pub fn events_query(
    param: impl Fn(&str) -> Option<String>,
    resource: Resource,
) -> Result<EventsQuery, ApiError> {
    use crate::domain::{BoundSide, parse_date_bound};
    let bad = |sentence: String| ApiError::bad_request(resource, sentence);
    let limit = match param("limit") {
        None => EVENTS_DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=EVENTS_MAX_LIMIT).contains(n) && !text.starts_with(['0', '+']))
            .ok_or_else(|| {
                bad(format!(
                    "Query parameter `limit` must be a whole number from 1 to {EVENTS_MAX_LIMIT}"
                ))
            })?,
    };
    let bound = |name: &str, side| -> Result<Option<u64>, ApiError> {
        param(name)
            .map(|raw| {
                parse_date_bound(&raw, side)
                    .map_err(|why| bad(format!("Query parameter `{name}` {why}")))
            })
            .transpose()
    };
    let from_ms = bound("from", BoundSide::From)?;
    let until_ms = bound("until", BoundSide::Until)?;
    if let (Some(from), Some(until)) = (from_ms, until_ms)
        && from > until
    {
        return Err(bad(
            "Query parameter `from` must not be later than `until`".into()
        ));
    }
    let type_prefix =
        param("type")
            .map(|raw| {
                crate::audit::type_filter(&raw).ok_or_else(|| {
                    bad("Query parameter `type` must be an event type (`login.failed`) or a family \
                     ending in `.` (`login.`)"
                    .into())
                })
            })
            .transpose()?;
    Ok(EventsQuery {
        limit,
        filter: crate::store::EventFilter {
            from_ms,
            until_ms,
            type_prefix,
        },
        cursor: param("cursor"),
    })
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
