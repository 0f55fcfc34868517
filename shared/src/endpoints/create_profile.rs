//! `POST /v1/companies/{company_id}/profiles?fields=a,b` (§5.1).

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::respond;
use crate::app::App;
use crate::audit::{Event, EventType};
use crate::domain::{ProfileField, ProfileId};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::request::{parse_json, query_param, requested_fields};
use crate::rules::registration::{ALREADY_PRESENT, ProfileRequest, checked_profile};
use crate::store::{CreateOutcome, NewProfile};

const RESOURCE: Resource = Resource::Profile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateProfileBody {
    register_type: String,
    information_provider: String,
    #[serde(default)]
    profile: Option<Map<String, Value>>,
    #[serde(default)]
    options: Option<Map<String, Value>>,
}

/// `options.active` (default true); `options` admits no other key.
fn initial_active(options: Option<&Map<String, Value>>) -> Result<bool, ApiError> {
    let Some(options) = options else {
        return Ok(true);
    };
    if let Some(key) = options.keys().find(|k| k.as_str() != "active") {
        let shown: String = key.chars().take(64).collect();
        return Err(ApiError::bad_request(
            RESOURCE,
            format!("Unknown field `{shown}` in `options`"),
        ));
    }
    match options.get("active") {
        None | Some(Value::Null) => Ok(true),
        Some(Value::Bool(active)) => Ok(*active),
        Some(_) => Err(ApiError::bad_request(
            RESOURCE,
            "`options.active` must be a boolean",
        )),
    }
}

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, create(&app, &req).await)
}

async fn create(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (company, actor) = app.authorize_actor(req, RESOURCE).await?;
    let shown_fields = requested_fields(query_param(req, "fields").as_deref())?;
    let body: CreateProfileBody = parse_json(req, RESOURCE)?;
    let active = initial_active(body.options.as_ref())?;
    let config = app.company_config(&company, RESOURCE).await?;
    let profile = checked_profile(
        &config,
        ProfileRequest {
            company,
            id: ProfileId::new_random(),
            register_type: body.register_type,
            information_provider: body.information_provider,
            profile: body.profile.unwrap_or_default(),
            active,
        },
    )?;
    let event = Event::success(
        EventType::ProfileCreated,
        profile.id,
        &App::trail(actor, &config),
    );
    match app.store.create_profile(&profile, &event).await? {
        CreateOutcome::IdentifierTaken => Err(ApiError::bad_request(RESOURCE, ALREADY_PRESENT)),
        CreateOutcome::Created => {
            tracing::info!(company = %profile.company, profile = %profile.id, "profile created");
            Ok(success(
                201,
                RESOURCE,
                Some(created_data(&profile, &shown_fields)),
                "Created",
            ))
        }
    }
}

/// `uuid`, each field asked for in `?fields=` (`null` when the profile has none), and the
/// provider that registered it.
fn created_data(profile: &NewProfile, shown: &[ProfileField]) -> Value {
    let mut data = Map::new();
    data.insert("uuid".into(), profile.id.to_string().into());
    for field in shown {
        let value = profile
            .attributes
            .get(*field)
            .map_or(Value::Null, |v| Value::String(v.to_owned()));
        data.insert(field.as_str().into(), value);
    }
    data.insert(
        "identification_provider".into(),
        profile.identification_provider.clone().into(),
    );
    Value::Object(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_the_api_order() {
        let fields =
            requested_fields(Some("email,name,nin,lastname,phone_number,origin,email")).unwrap();
        assert_eq!(
            fields,
            vec![
                ProfileField::Nin,
                ProfileField::PhoneNumber,
                ProfileField::Email,
                ProfileField::Origin,
                ProfileField::Name,
                ProfileField::Lastname
            ]
        );
        assert!(requested_fields(Some("email,password")).is_err());
        assert_eq!(requested_fields(Some("")).unwrap(), vec![]);
    }
}
