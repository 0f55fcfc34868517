//! Lambda function for the `delete_profile` endpoint; the logic lives in `idp_core::endpoints::delete_profile`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::delete_profile::handle).await
}
