//! Lambda function for the `profile_status` endpoint; the logic lives in `idp_core::endpoints::profile_status`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::profile_status::handle).await
}
