//! `POST /v1/companies/{company_id}/profiles/query?page=&per_page=&fields=&disabled_profile=true`
//! (§5.7): the company's profiles whose normalised values equal every value of the body,
//! oldest first; a page that may have a successor links to it with an authenticated cursor.

use std::sync::Arc;

use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};

use super::respond;
use crate::app::App;
use crate::cursor;
use crate::domain::{CompanyId, ProfileField, parse_value};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::json_body::parse_json_bytes;
use crate::pagination::Page;
use crate::profile::Profile;
use crate::request::parse_disabled;
use crate::request::{body_bytes, percent_encode, query_param, requested_fields};
use crate::store::SearchQuery;
use crate::store::index::Searchable;

const RESOURCE: Resource = Resource::Profile;

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, search(&app, &req).await)
}

async fn search(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let company = app.authorize(req, RESOURCE).await?;
    let SearchRequest {
        cursor,
        page,
        shown,
        include_disabled,
        filters,
    } = SearchRequest::parse(|name| query_param(req, name), body_bytes(req))?;
    let key = app.cursor_key.as_ref().ok_or_else(|| {
        ApiError::internal(RESOURCE, "no cursor key: CURSOR_KEY_SECRET_ARN is not set")
    })?;
    let scope = cursor::scope(&filters, include_disabled);
    let position = match &cursor {
        None => None,
        Some(cursor) => Some(key.check(cursor, &company, &scope).ok_or_else(|| {
            ApiError::bad_request(
                RESOURCE,
                "Query parameter `cursor` is not valid for this company, these filters and \
                 disabled_profile",
            )
        })?),
    };
    // An unknown company has no profiles, but answers as every endpoint does.
    app.company_config(&company, RESOURCE).await?;
    let query = SearchQuery {
        company: company.clone(),
        filters,
        include_disabled,
        after: position.map(|p| p.after),
        offset: match position {
            Some(position) => position.skip as usize,
            None => (page.page as usize - 1) * page.per_page as usize,
        },
        limit: page.per_page as usize,
    };
    let found = app.store.search(&query).await?;
    let cost = found.cost;
    // Counts only: the filters' values may be personal data.
    tracing::info!(
        company = %company,
        filters = query.filters.len(),
        returned = found.profiles.len(),
        queries = cost.queries,
        rounds = cost.rounds,
        entries_read = cost.entries_read,
        profiles_read = cost.profiles_read,
        "search"
    );
    let data: Vec<Value> = found
        .profiles
        .iter()
        .map(|profile| {
            if shown.is_empty() {
                profile.to_public_json()
            } else {
                projected(profile, &shown)
            }
        })
        .collect();
    let mut response = success(200, RESOURCE, Some(Value::Array(data)), "Found");
    if let (true, Some(last)) = (found.more, found.last_key) {
        let position = cursor::Position {
            after: last,
            skip: u32::try_from(found.skip).unwrap_or(u32::MAX),
        };
        let next = key
            .issue(&company, &scope, position)
            .ok_or_else(|| ApiError::internal(RESOURCE, "cursor not signed"))?;
        let link = next_link(req, &company, &next, page.per_page, include_disabled);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert("link", value);
        }
    }
    Ok(response)
}

/// What a search asks for, read from its query string and body before any I/O (and so
/// fuzzed on its own: `fuzz/fuzz_targets/search_request.rs`).
#[derive(Debug)]
pub struct SearchRequest {
    /// Not yet checked: that needs the cursor key, the company and the filters' scope.
    pub cursor: Option<String>,
    pub page: Page,
    pub shown: Vec<ProfileField>,
    pub include_disabled: bool,
    pub filters: Vec<(Searchable, String)>,
}

impl SearchRequest {
    /// `param` gives a query parameter's first value; `body` is the raw body.
    pub fn parse(param: impl Fn(&str) -> Option<String>, body: &[u8]) -> Result<Self, ApiError> {
        let cursor = param("cursor");
        if cursor.is_some() && param("page").is_some() {
            return Err(ApiError::bad_request(
                RESOURCE,
                "Query parameters `cursor` and `page` cannot be used together",
            ));
        }
        let page = Page::parse(param("page").as_deref(), param("per_page").as_deref())
            .map_err(|why| ApiError::bad_request(RESOURCE, why))?;
        let shown = requested_fields(param("fields").as_deref())?;
        let include_disabled = parse_disabled(param("disabled_profile").as_deref())?;
        let filters = if body.iter().all(u8::is_ascii_whitespace) {
            Vec::new()
        } else {
            parse_filters(&parse_json_bytes::<Map<String, Value>>(body, RESOURCE)?)
                .map_err(|why| ApiError::bad_request(RESOURCE, why))?
        };
        Ok(Self {
            cursor,
            page,
            shown,
            include_disabled,
            filters,
        })
    }
}

/// `<path?cursor=…&per_page=…[&fields=…][&disabled_profile=true]>; rel="next"`: the same
/// request's next page (the body must be sent again; the cursor is bound to it).
fn next_link(
    req: &Request,
    company: &CompanyId,
    cursor: &str,
    per_page: u32,
    include_disabled: bool,
) -> String {
    let mut target =
        format!("/v1/companies/{company}/profiles/query?cursor={cursor}&per_page={per_page}");
    if let Some(fields) = query_param(req, "fields") {
        target.push_str("&fields=");
        target.push_str(&percent_encode(&fields));
    }
    if include_disabled {
        target.push_str("&disabled_profile=true");
    }
    format!("<{target}>; rel=\"next\"")
}

/// The body's filters, normalised as at Create; the sentence names the key, never the value.
pub fn parse_filters(body: &Map<String, Value>) -> Result<Vec<(Searchable, String)>, String> {
    let mut filters = Vec::new();
    for (name, value) in body {
        let shown = crate::domain::shown_name(name);
        let searchable = if name == "identification_provider" {
            Searchable::IdentificationProvider
        } else {
            let field: ProfileField = name.parse().map_err(|_| {
                format!(
                    "Unknown search key `{shown}`: use a profile field or identification_provider"
                )
            })?;
            Searchable::Field(field)
        };
        let Value::String(raw) = value else {
            return Err(format!("Search key `{shown}` must be a string"));
        };
        let normalised = match searchable {
            Searchable::Field(field) => {
                parse_value(field, raw).map_err(|why| format!("Search key `{shown}` {why}"))?
            }
            Searchable::IdentificationProvider => {
                let trimmed = raw.trim();
                if trimmed.is_empty() || trimmed.chars().count() > 128 {
                    return Err(format!("Search key `{shown}` must be 1-128 characters"));
                }
                trimmed.to_owned()
            }
        };
        filters.push((searchable, normalised));
    }
    Ok(filters)
}

/// `uuid`, the named fields, `active` and `identification_provider`.
fn projected(profile: &Profile, shown: &[ProfileField]) -> Value {
    let mut out = Map::new();
    out.insert("uuid".into(), profile.id.to_string().into());
    for field in shown {
        out.insert(field.as_str().into(), profile.value_of(*field));
    }
    out.insert("active".into(), profile.active.into());
    out.insert(
        "identification_provider".into(),
        profile.identification_provider.clone().into(),
    );
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filters(body: Value) -> Result<Vec<(Searchable, String)>, String> {
        parse_filters(body.as_object().unwrap())
    }

    #[test]
    fn values_are_normalised_as_at_create() {
        let parsed = filters(json!({
            "email": " TLAT@Email.com ", "phone_number": "+56 9 1234-5678",
            "nationality": "chl", "identification_provider": " test_idp "
        }))
        .unwrap();
        assert_eq!(
            parsed,
            vec![
                (
                    Searchable::Field(ProfileField::Email),
                    "tlat@email.com".into()
                ),
                (
                    Searchable::Field(ProfileField::PhoneNumber),
                    "+56912345678".into()
                ),
                (Searchable::Field(ProfileField::Nationality), "CHL".into()),
                (Searchable::IdentificationProvider, "test_idp".into()),
            ]
        );
    }

    #[test]
    fn bad_keys_and_values_name_the_key_never_the_value() {
        for (body, named) in [
            (json!({"mail": "secret-value"}), "`mail`"),
            (json!({"email": 7}), "`email`"),
            (json!({"email": null}), "`email`"),
            (json!({"email": "secret-value"}), "`email`"),
            (json!({"birthday": "secret-value"}), "`birthday`"),
            (
                json!({"identification_provider": "   "}),
                "`identification_provider`",
            ),
            (json!({"trusted_fields": "x"}), "`trusted_fields`"),
            (json!({"e`mail\n": "x"}), "`e?mail?`"),
        ] {
            let why = filters(body.clone()).unwrap_err();
            assert!(why.contains(named), "{body}: {why}");
            assert!(!why.contains("secret-value"), "{body}: {why}");
        }
    }
}
