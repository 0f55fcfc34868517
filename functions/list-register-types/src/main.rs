//! Lambda function for the `list_register_types` endpoint; the logic lives in `idp_core::endpoints::list_register_types`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::list_register_types::handle).await
}
