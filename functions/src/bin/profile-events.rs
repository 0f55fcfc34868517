//! Audit Trail of a Profile: `GET /v1/companies/{company_id}/profiles/{uuid}/events`.
//! The logic is `idp_core::endpoints::profile_events`; the route's row is in `idp_core::routes::ROUTES`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::profile_events::handle).await
}
