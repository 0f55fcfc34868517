//! The cold-start baseline: a bare `lambda_http` function that answers 200 "hello" to any
//! request. Built with the workspace's release profile, like the functions.

use std::convert::Infallible;

use lambda_http::{Body, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(service_fn(|_req: Request| async {
        // `Response::new` answers 200.
        Ok::<_, Infallible>(Response::new(Body::from("hello")))
    }))
    .await
}
