//! Add New Password, Update Profile, or Second Factors: `PATCH /v1/companies/{company_id}/profiles/{uuid}`.
//! The logic is `idp_core::endpoints::patch_profile`; the route's row is in `idp_core::routes::ROUTES`.
//! Its operations share one path; the handler dispatches them by `operation`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::patch_profile::handle).await
}
