//! Bodies that are not what the API takes: always a 4xx envelope, never a 5xx.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{Api, fresh_company, token};
use serde_json::json;

async fn post_raw(api: &Api, company: &str, body: Vec<u8>) -> blackbox_tests::Reply {
    api.send(
        "POST",
        &format!("/v1/companies/{company}/profiles"),
        Some(&token(company)),
        Some(body),
    )
    .await
}

fn bad_request(errors: &str) -> serde_json::Value {
    json!({"code": 400, "resource": "Profile", "message": "Bad request", "errors": errors})
}

#[tokio::test]
async fn malformed_json_and_wrong_shapes_are_400() {
    let api = Api::new();
    let company = fresh_company().await;
    let cases: [(&str, &str); 10] = [
        (
            "{\"register_type\": ",
            "Request body is not valid JSON (line 1 column 18)",
        ),
        ("", "Request body is required"),
        ("[]", "Request body must be a JSON object"),
        ("\"text\"", "Request body must be a JSON object"),
        (
            "{\"register_type\": 5, \"information_provider\": \"test_idp\"}",
            "`register_type` must be a string",
        ),
        (
            "{\"information_provider\": \"test_idp\"}",
            "Missing field `register_type`",
        ),
        (
            "{\"register_type\": \"nin_register\", \"information_provider\": \"test_idp\", \"profile\": [1]}",
            "`profile` must be a map",
        ),
        (
            "{\"register_type\": \"nin_register\", \"information_provider\": \"test_idp\", \"admin\": true}",
            "Unknown field `admin`",
        ),
        (
            "{\"register_type\": \"nin_register\", \"information_provider\": \"test_idp\", \"options\": {\"active\": 1}}",
            "`options.active` must be a boolean",
        ),
        (
            "{\"register_type\": \"nin_register\", \"information_provider\": \"test_idp\", \"options\": {\"sudo\": true}}",
            "Unknown field `sudo` in `options`",
        ),
    ];
    for (body, errors) in cases {
        let reply = post_raw(&api, &company, body.as_bytes().to_vec()).await;
        assert_eq!(
            (reply.status, reply.body),
            (400, bad_request(errors)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_one_mebibyte_body_is_413() {
    let api = Api::new();
    let company = fresh_company().await;
    let mut body = b"{\"register_type\": \"".to_vec();
    body.extend(std::iter::repeat_n(b'a', 1024 * 1024));
    body.extend(b"\"}");
    let reply = post_raw(&api, &company, body).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            413,
            json!({"code": 413, "resource": "Profile", "message": "Payload too large",
                     "errors": "Request body is larger than 65536 bytes"})
        )
    );
}

#[tokio::test]
async fn errors_never_echo_submitted_values() {
    let api = Api::new();
    let company = fresh_company().await;
    let secret = "s3cr3t-Value-That-Must-Not-Echo";
    let body = json!({"register_type": "nin_register", "information_provider": "test_idp",
        "options": {"active": secret}});
    let reply = post_raw(&api, &company, body.to_string().into_bytes()).await;
    assert_eq!(reply.status, 400);
    assert!(!reply.body.to_string().contains(secret));
}
