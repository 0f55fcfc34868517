//! What the two audit-trail routes share (§5.13–§5.14): the query's parameters and cursor,
//! the events' JSON and the `Link` to the next page.

use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

use crate::app::App;
use crate::audit::event_json;
use crate::cursor::{self, CursorKey};
use crate::domain::{CompanyId, ProfileId};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::request::{EventsQuery, events_query, percent_encode, query_param};
use crate::store::EventPage;

/// Whose events a page lists.
#[derive(Debug, Clone, Copy)]
pub(super) enum Whose {
    Profile(ProfileId),
    Company,
}

/// The page of `whose` events a request asks for, as the contract's answer.
pub(super) async fn page(
    app: &App,
    req: &Request,
    company: &CompanyId,
    whose: Whose,
    resource: Resource,
) -> Result<Response<Body>, ApiError> {
    let query = events_query(|name| query_param(req, name), resource)?;
    let key = app.cursor_key.as_ref().ok_or_else(|| {
        ApiError::internal(resource, "no cursor key: CURSOR_KEY_SECRET_ARN is not set")
    })?;
    let profile = match whose {
        Whose::Profile(id) => Some(id.to_string()),
        Whose::Company => None,
    };
    let scope = cursor::events_scope(
        profile.as_deref(),
        query.filter.from_ms,
        query.filter.until_ms,
        query.filter.type_prefix.as_deref(),
    );
    let before = match &query.cursor {
        None => None,
        Some(cursor) => Some(key.check_events(cursor, company, &scope).ok_or_else(|| {
            ApiError::bad_request(
                resource,
                "Query parameter `cursor` is not valid for this company, this listing and these \
                 filters",
            )
        })?),
    };
    // An unknown company answers as every endpoint does; a profile that never existed (or
    // was erased long ago) has an empty trail, not a 404, so erasure hides no history.
    app.company_config(company, resource).await?;
    let page = match whose {
        Whose::Profile(id) => {
            app.store
                .profile_events(company, id, &query.filter, before.as_deref(), query.limit)
                .await?
        }
        Whose::Company => {
            app.store
                .company_events(company, &query.filter, before.as_deref(), query.limit)
                .await?
        }
    };
    tracing::info!(
        company = %company,
        returned = page.events.len(),
        items_read = page.items_read,
        "audit trail page"
    );
    answer(req, company, whose, key, &scope, &query, &page, resource)
}

#[allow(clippy::too_many_arguments)]
fn answer(
    req: &Request,
    company: &CompanyId,
    whose: Whose,
    key: &CursorKey,
    scope: &str,
    query: &EventsQuery,
    page: &EventPage,
    resource: Resource,
) -> Result<Response<Body>, ApiError> {
    let data: Vec<Value> = page.events.iter().map(event_json).collect();
    let mut response = success(200, resource, Some(Value::Array(data)), "Found");
    if let Some(next) = &page.next {
        let cursor = key
            .issue_events(company, scope, next)
            .ok_or_else(|| ApiError::internal(resource, "cursor not signed"))?;
        let link = next_link(req, company, whose, &cursor, query);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert("link", value);
        }
    }
    Ok(response)
}

/// `<path?cursor=…&limit=…[&from=…][&until=…][&type=…]>; rel="next"`: the same listing, on.
/// The path is the API's own, not the request's: behind a custom domain's base path the
/// request path differs from what the caller used, as search's `Link` also assumes.
fn next_link(
    req: &Request,
    company: &CompanyId,
    whose: Whose,
    cursor: &str,
    query: &EventsQuery,
) -> String {
    let path = match whose {
        Whose::Profile(id) => format!("/v1/companies/{company}/profiles/{id}/events"),
        Whose::Company => format!("/v1/companies/{company}/events"),
    };
    let mut target = format!("{path}?cursor={cursor}&limit={}", query.limit);
    for name in ["from", "until", "type"] {
        if let Some(value) = query_param(req, name) {
            target.push('&');
            target.push_str(name);
            target.push('=');
            target.push_str(&percent_encode(&value));
        }
    }
    format!("<{target}>; rel=\"next\"")
}
