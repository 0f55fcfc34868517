//! Lambda function for `PATCH /v1/companies/{company_id}/profiles/{uuid}`, whose operations
//! share one path; `idp_core::endpoints::patch_profile` dispatches them by `operation`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::patch_profile::handle).await
}
