//! Lambda function for the `show_company` endpoint; the logic lives in `idp_core::endpoints::show_company`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::show_company::handle).await
}
