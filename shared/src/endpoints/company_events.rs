//! `GET /v1/companies/{company_id}/events` (§5.14): the company's audit trail, newest first; a
//! page costs what it holds, whatever the company's size.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};

use super::events::{Whose, page};
use super::respond;
use crate::app::App;
use crate::envelope::Resource;
use crate::error::ApiError;

const RESOURCE: Resource = Resource::CompanyEvents;

pub async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    respond(RESOURCE, list(&app, &req).await)
}

async fn list(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let company = app.authorize(req, RESOURCE).await?;
    page(app, req, &company, Whose::Company, RESOURCE).await
}
