//! Lambda function for the `show_profile` endpoint; the logic lives in `idp_core::endpoints::show_profile`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::show_profile::handle).await
}
