//! Show All Register Types: `GET /v1/companies/{company_id}/register_types`.
//! The logic is `idp_core::endpoints::list_register_types`; the route's row is in `idp_core::routes::ROUTES`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::list_register_types::handle).await
}
