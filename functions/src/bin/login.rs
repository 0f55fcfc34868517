//! Login With Password: `POST /v1/companies/{company_id}/profiles/login`.
//! The logic is `idp_core::endpoints::login`; the route's row is in `idp_core::routes::ROUTES`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::login::handle).await
}
