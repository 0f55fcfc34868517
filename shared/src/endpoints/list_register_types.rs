//! `GET /v1/companies/{company_id}/register_types?page=&per_page=&from_date=&until_date=`
//! (§5.10): the company's register types, by creation date, then name, then provider.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use serde_json::Value;

use super::{register_types, respond};
use crate::app::App;
use crate::domain::{BoundSide, parse_date_bound};
use crate::envelope::{Resource, success};
use crate::error::ApiError;
use crate::request::query_param;

const RESOURCE: Resource = Resource::RegisterType;

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, list(&app, &req).await)
}

async fn list(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let company = app.authorize(req, RESOURCE).await?;
    let page = crate::request::page(req, RESOURCE)?;
    let from = date_bound(req, "from_date", BoundSide::From)?;
    let until = date_bound(req, "until_date", BoundSide::Until)?;
    if let (Some(from), Some(until)) = (from, until)
        && from > until
    {
        return Err(ApiError::bad_request(
            RESOURCE,
            "Query parameter `from_date` must not be after `until_date`",
        ));
    }
    let config = app.company_config(&company, RESOURCE).await?;
    let pairs: Vec<_> = config
        .register_pairs()
        .into_iter()
        .filter(|pair| from.is_none_or(|from| pair.created_ms >= from))
        .filter(|pair| until.is_none_or(|until| pair.created_ms <= until))
        .collect();
    let data: Vec<Value> = page
        .slice(&pairs)
        .iter()
        .map(|pair| register_types::public_json(&config, pair))
        .collect();
    Ok(success(200, RESOURCE, Some(Value::Array(data)), "Found"))
}

fn date_bound(req: &Request, name: &str, side: BoundSide) -> Result<Option<u64>, ApiError> {
    query_param(req, name)
        .map(|raw| {
            parse_date_bound(&raw, side).map_err(|why| {
                ApiError::bad_request(RESOURCE, format!("Query parameter `{name}` {why}"))
            })
        })
        .transpose()
}
