//! Show Register Type: `GET /v1/companies/{company_id}/register_types/{register_name}/information_provider/{provider_name}`.
//! The logic is `idp_core::endpoints::show_register_type`; the route's row is in `idp_core::routes::ROUTES`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::show_register_type::handle).await
}
