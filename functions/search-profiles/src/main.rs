//! Lambda function for the `search_profiles` endpoint; the logic lives in `idp_core::endpoints::search_profiles`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    idp_core::serve(idp_core::endpoints::search_profiles::handle).await
}
