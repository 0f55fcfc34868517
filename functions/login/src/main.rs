//! Lambda function for the `login` endpoint; the logic lives in `idp_core::endpoints::login`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::login::handle).await
}
