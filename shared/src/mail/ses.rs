use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message as SesMessage};

use super::Message;

/// Amazon SES v2 `SendEmail` with simple (text) content.
#[derive(Debug)]
pub struct SesMailer {
    client: Client,
}

impl SesMailer {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    pub async fn from_env() -> Self {
        let config = crate::sdk::config_loader().load().await;
        Self::new(Client::new(&config))
    }

    pub async fn send(&self, message: &Message) -> Result<(), String> {
        let text = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|e| e.to_string())
        };
        let content = EmailContent::builder()
            .simple(
                SesMessage::builder()
                    .subject(text(&message.subject)?)
                    .body(Body::builder().text(text(&message.body)?).build())
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(&message.from)
            .destination(Destination::builder().to_addresses(&message.to).build())
            .content(content)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "SES SendEmail failed: {}",
                    aws_sdk_sesv2::error::DisplayErrorContext(e)
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::BehaviorVersion;
    use serde_json::{Value, json};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// A fake SES speaking the v2 REST wire format: `POST /v2/email/outbound-emails` with a
    /// JSON body, answering `{"MessageId": …}`.
    async fn fake_ses(status: u16, answer: Value) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v2/email/outbound-emails"))
            .respond_with(ResponseTemplate::new(status).set_body_json(answer))
            .mount(&server)
            .await;
        server
    }

    fn mailer(server: &MockServer) -> SesMailer {
        let config = aws_sdk_sesv2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_sdk_sesv2::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sesv2::config::Credentials::new(
                "AKIDTEST", "secret", None, None, "test",
            ))
            .endpoint_url(server.uri())
            .http_client(crate::tls::sdk_https_client())
            .build();
        SesMailer::new(Client::from_conf(config))
    }

    fn message() -> Message {
        Message {
            from: "no-reply@idp.example".into(),
            to: "ana@example.com".into(),
            subject: "Your code".into(),
            body: "Code: ABCDEFGHIJ0123456789".into(),
        }
    }

    #[tokio::test]
    async fn sends_a_simple_text_message() {
        let server = fake_ses(200, json!({"MessageId": "0100-test"})).await;
        mailer(&server).send(&message()).await.unwrap();
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1);
        let sent: Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(sent["FromEmailAddress"], "no-reply@idp.example");
        assert_eq!(
            sent["Destination"]["ToAddresses"],
            json!(["ana@example.com"])
        );
        assert_eq!(sent["Content"]["Simple"]["Subject"]["Data"], "Your code");
        assert_eq!(
            sent["Content"]["Simple"]["Body"]["Text"]["Data"],
            "Code: ABCDEFGHIJ0123456789"
        );
        assert!(requests[0].headers.contains_key("authorization"), "signed");
    }

    #[tokio::test]
    async fn reports_ses_errors() {
        let server = fake_ses(400, json!({"message": "Email address is not verified."})).await;
        let err = mailer(&server).send(&message()).await.unwrap_err();
        assert!(err.contains("SES SendEmail failed"), "{err}");
    }
}
