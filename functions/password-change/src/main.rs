//! Lambda function for the `password_change` endpoint; the logic lives in `idp_core::endpoints::password_change`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::password_change::handle).await
}
