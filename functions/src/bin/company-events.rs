//! Audit Trail of a Company: `GET /v1/companies/{company_id}/events`.
//! The logic is `idp_core::endpoints::company_events`; the route's row is in `idp_core::routes::ROUTES`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::company_events::handle).await
}
