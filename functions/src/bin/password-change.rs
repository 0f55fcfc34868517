//! Request / Confirm Password Change: `PATCH /v1/companies/{company_id}/profiles/password`.
//! The logic is `idp_core::endpoints::password_change`; the route's row is in `idp_core::routes::ROUTES`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::password_change::handle).await
}
