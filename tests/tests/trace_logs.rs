//! A function run at the most verbose log level a deployment can set (`RUST_LOG=trace` and
//! Lambda's `AWS_LAMBDA_LOG_LEVEL=TRACE`) under a Lambda Runtime API of this test's own, on
//! loopback: its log holds neither the request's bearer token nor its body (§6: "Logs never
//! contain a request's headers or body at any log level").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use blackbox_tests::{REPO, fresh_company, token};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One event handed out once; the next poll stays open, as on Lambda, until the process ends.
struct RuntimeApi {
    event: Mutex<Option<String>>,
    answers: mpsc::UnboundedSender<String>,
}

async fn runtime_api(
    api: Arc<RuntimeApi>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    if req.method() == Method::GET && path.ends_with("/runtime/invocation/next") {
        let event = api.event.lock().unwrap().take();
        let Some(event) = event else {
            std::future::pending::<()>().await;
            unreachable!();
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 30_000;
        return Ok(Response::builder()
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", "trace-test-1")
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:000000000000:function:login",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000",
            )
            .body(Full::new(Bytes::from(event)))
            .unwrap());
    }
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let _ = api
        .answers
        .send(format!("{path} {}", String::from_utf8_lossy(&body)));
    Ok(Response::builder()
        .status(202)
        .body(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")))
        .unwrap())
}

#[tokio::test]
async fn a_function_at_trace_level_logs_neither_the_token_nor_the_body() {
    let company = fresh_company().await;
    let bearer = token(&company);
    let password = format!("trace-level-secret-{}", uuid::Uuid::new_v4().simple());
    let email = format!("{}@trace.example", uuid::Uuid::new_v4().simple());
    let body = json!({"credentials": {"email": email, "origin": "test_idp", "password": password}})
        .to_string();
    let path = format!("/v1/companies/{company}/profiles/login");
    let route = "POST /v1/companies/{company_id}/profiles/login";
    let event = json!({
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "authorization": format!("Bearer {bearer}"),
            "content-type": "application/json",
            "content-length": body.len().to_string(),
        },
        "pathParameters": {"company_id": company},
        "requestContext": {
            "accountId": "000000000000", "apiId": "trace", "domainName": "trace.localhost",
            "domainPrefix": "trace",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "trace-test"},
            "requestId": "trace-test-1", "routeKey": route, "stage": "$default",
            "timeEpoch": 0
        },
        "body": body,
        "isBase64Encoded": false
    });

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (answers, mut answered) = mpsc::unbounded_channel();
    let api = Arc::new(RuntimeApi {
        event: Mutex::new(Some(event.to_string())),
        answers,
    });
    let server = tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let api = Arc::clone(&api);
            tokio::spawn(async move {
                let service = service_fn(move |req| runtime_api(Arc::clone(&api), req));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });

    let mut child = tokio::process::Command::new(format!("{REPO}/target/debug/login"))
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "login")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/login")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "trace-test")
        .env("RUST_LOG", "trace")
        .env("AWS_LAMBDA_LOG_LEVEL", "TRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the login binary (built by make test)");
    // Read as it is written: a verbose run fills a pipe's buffer long before it answers.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text).await;
        text
    });
    let err = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let answer = tokio::time::timeout(Duration::from_secs(60), answered.recv())
        .await
        .expect("the function answered within a minute")
        .unwrap();
    assert!(
        answer.contains("/invocation/trace-test-1/response") && answer.contains("422"),
        "the login was answered (an unknown e-mail: 422): {answer}"
    );
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    server.abort();
    let log = out.await.unwrap() + &err.await.unwrap();

    assert!(
        log.contains(r#""level":"DEBUG""#),
        "the run logged at the verbose levels it was given (this project's own lines): {log}"
    );
    let token_part = bearer.rsplit('.').next().unwrap();
    for (what, secret) in [
        ("the bearer token", token_part),
        ("the password", password.as_str()),
        ("the e-mail of the body", email.as_str()),
    ] {
        assert!(!log.contains(secret), "{what} is in the trace-level log");
    }
}
