//! Lambda function for the `show_register_type` endpoint; the logic lives in `idp_core::endpoints::show_register_type`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::show_register_type::handle).await
}
