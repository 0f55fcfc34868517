//! Show Company Configuration: `GET /v1/companies/{company_id}`.
//! The logic is `idp_core::endpoints::show_company`; the route's row is in `idp_core::routes::ROUTES`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::show_company::handle).await
}
