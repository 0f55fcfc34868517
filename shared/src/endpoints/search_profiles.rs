//! `POST /v1/companies/{company_id}/profiles/query?page=&per_page=&fields=&disabled_profile=true`
//! (§5.7): the company's profiles whose normalised values equal every value of the body,
//! oldest first; a page that may have a successor links to it with an authenticated cursor.

use std::sync::Arc;

use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};

use super::create_profile::requested_fields;
use super::{include_disabled, respond};
use crate::app::App;
use crate::cursor;
use crate::domain::{CompanyId, ProfileField, parse_value};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::pagination::Page;
use crate::profile::Profile;
use crate::request::{body_is_empty, parse_json, query_param};
use crate::store::SearchQuery;
use crate::store::index::Searchable;

const RESOURCE: Resource = Resource::Profile;

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, search(&app, &req).await)
}

async fn search(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let company = app.authorize(req, RESOURCE).await?;
    let cursor = query_param(req, "cursor");
    if cursor.is_some() && query_param(req, "page").is_some() {
        return Err(ApiError::bad_request(
            RESOURCE,
            "Query parameters `cursor` and `page` cannot be used together",
        ));
    }
    let page = Page::from_query(req, RESOURCE)?;
    let shown = requested_fields(query_param(req, "fields").as_deref())?;
    let include_disabled = include_disabled(req)?;
    let filters = if body_is_empty(req) {
        Vec::new()
    } else {
        parse_filters(&parse_json::<Map<String, Value>>(req, RESOURCE)?)
            .map_err(|why| ApiError::bad_request(RESOURCE, why))?
    };
    let key = app.cursor_key.as_ref().ok_or_else(|| {
        ApiError::internal(RESOURCE, "no cursor key: CURSOR_KEY_SECRET_ARN is not set")
    })?;
    let scope = cursor::scope(&filters, include_disabled);
    let after = match &cursor {
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
        after,
        offset: if after.is_some() {
            0
        } else {
            (page.page as usize - 1) * page.per_page as usize
        },
        limit: page.per_page as usize,
    };
    let found = app.store.search(&query).await?;
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
        let next = key
            .issue(&company, &scope, last)
            .ok_or_else(|| ApiError::internal(RESOURCE, "cursor not signed"))?;
        let link = next_link(req, &company, &next, page.per_page, include_disabled);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert("link", value);
        }
    }
    Ok(response)
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

/// Query-string encoding of everything but unreserved characters and `,`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The body's filters, normalised as at Create; the sentence names the key, never the value.
pub fn parse_filters(body: &Map<String, Value>) -> Result<Vec<(Searchable, String)>, String> {
    let mut filters = Vec::new();
    for (name, value) in body {
        let shown: String = name.chars().take(64).collect();
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
        ] {
            let why = filters(body.clone()).unwrap_err();
            assert!(why.contains(named), "{body}: {why}");
            assert!(!why.contains("secret-value"), "{body}: {why}");
        }
    }
}
