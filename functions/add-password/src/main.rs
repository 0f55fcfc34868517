//! Lambda function for the `add_password` endpoint; the logic lives in `idp_core::endpoints::add_password`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::add_password::handle).await
}
