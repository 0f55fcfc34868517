//! Login With a Passkey: `POST /v1/companies/{company_id}/profiles/login/passkey`.
//! The logic is `idp_core::endpoints::login_passkey`; the route's row is in
//! `idp_core::routes::ROUTES`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::login_passkey::handle).await
}
