//! Known vs unknown identifiers (issue 23, §6 "Enumeration"): the login and the password-change
//! request (with `prevent_user_existence_errors`) timed in process against DynamoDB Local,
//! alternating a known and an unknown identifier sample by sample, after warm-up rounds.
//! Prints the medians and writes them as JSON; the target is a median ratio within 20 %.
//!
//! Known login: the right e-mail with a wrong password (the lockout set high enough that the
//! run never locks it, so every sample verifies the real hash). Known password-change request:
//! an active profile with an e-mail and no rate limit, so every sample writes a token and sends
//! its mail (to files: the local transport), the slowest known case.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use idp_core::App;
use idp_core::auth::{ClaimRules, JwtKeys, JwtVerifier, TokenVerifier};
use idp_core::company::CompanyConfig;
use idp_core::endpoints::{create_profile, login, password_change, patch_profile};
use idp_core::mail::{FileMailer, Mailer};
use idp_core::password::{HashParams, Passwords};
use idp_core::store::{Store, Tables, dynamodb_client};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use lambda_http::{Body, Request, RequestExt};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    /// The company configuration the bench company copies.
    #[arg(long)]
    config: PathBuf,
    /// Where the JSON report goes.
    #[arg(long)]
    out: PathBuf,
    /// Samples of each identifier (known, unknown) per operation.
    #[arg(long, default_value_t = 60)]
    samples: usize,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

const WARM_UP: usize = 5;
const PASSWORD: &str = "violet tractor umbrella 42";

#[tokio::main]
async fn main() {
    if let Err(err) = run(Args::parse()).await {
        eprintln!("enumeration: {err}");
        std::process::exit(1);
    }
}

struct Bench {
    app: Arc<App>,
    company: String,
    token: String,
}

impl Bench {
    async fn call<F, Fut>(
        &self,
        handler: F,
        method: &str,
        path: &str,
        params: &[(&str, &str)],
        body: &Value,
    ) -> Result<(u16, Duration, Value), Failure>
    where
        F: FnOnce(Arc<App>, Request) -> Fut,
        Fut: std::future::Future<Output = lambda_http::Response<Body>>,
    {
        let params: HashMap<String, String> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let req = lambda_http::http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token))
            .body(Body::from(body.to_string()))?
            .with_path_parameters(params);
        let started = Instant::now();
        let response = handler(Arc::clone(&self.app), req).await;
        let took = started.elapsed();
        let body = match response.body() {
            Body::Text(text) => serde_json::from_str(text)?,
            _ => Value::Null,
        };
        Ok((response.status().as_u16(), took, body))
    }

    async fn login(&self, email: &str) -> Result<(u16, Duration, Value), Failure> {
        let body = json!({"credentials": {"email": email, "origin": "test_idp",
                                          "password": "not the password at all"}});
        let path = format!("/v1/companies/{}/profiles/login", self.company);
        self.call(
            login::handle,
            "POST",
            &path,
            &[("company_id", &self.company)],
            &body,
        )
        .await
    }

    async fn request(&self, email: &str) -> Result<(u16, Duration, Value), Failure> {
        let body = json!({"operation": "request", "access_type": "email", "profile": email});
        let path = format!("/v1/companies/{}/profiles/password", self.company);
        self.call(
            password_change::handle,
            "PATCH",
            &path,
            &[("company_id", &self.company)],
            &body,
        )
        .await
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    let secret = uuid::Uuid::new_v4().to_string();
    let mail = std::env::temp_dir().join(format!("idp-bench-mail-{}", uuid::Uuid::new_v4()));
    let store = Store::new(dynamodb_client().await, Tables::from_env()?);
    let app = Arc::new(
        App::new(
            store,
            TokenVerifier::Jwt(Box::new(JwtVerifier::new(
                JwtKeys::hs256(secret.as_bytes()),
                ClaimRules::default(),
            ))),
            Passwords::new(HashParams::OWASP_MINIMUM)?,
            Duration::from_secs(600),
        )
        .with_mailer(Mailer::File(FileMailer::new(mail.clone()))),
    );
    let company = format!(
        "bench-enum-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let mut config: Value = serde_yaml::from_str(&std::fs::read_to_string(&args.config)?)?;
    config["company_id"] = json!(company);
    config["lockout_policy"]["lock_after_failures"] = json!(1_000_000);
    config["password_change"]["prevent_user_existence_errors"] = json!(true);
    config["password_change"]["min_request_interval_seconds"] = json!(0);
    let config = CompanyConfig::from_value(config).map_err(|e| format!("{e:?}"))?;
    let floor_ms = config.password_change.min_response_ms;
    app.store.put_company_config(&config).await?;
    let claims = json!({"company_uid": company, "exp": get_current_timestamp() + 3600});
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?;
    let bench = Bench {
        app,
        company: company.clone(),
        token,
    };

    let known = "known@bench.example";
    let create = json!({"register_type": "nin_register", "information_provider": "test_idp",
        "profile": {"nin": "12345678", "name": "Ana", "lastname": "Soto", "email": known,
                    "origin": "test_idp"}});
    let created = bench
        .call(
            create_profile::handle,
            "POST",
            &format!("/v1/companies/{company}/profiles"),
            &[("company_id", &company)],
            &create,
        )
        .await?;
    expect(created.0 == 201, "the known profile is created")?;
    let uuid = created.2["data"]["uuid"]
        .as_str()
        .ok_or("the created profile's uuid")?
        .to_owned();
    let added = bench
        .call(
            patch_profile::handle,
            "PATCH",
            &format!("/v1/companies/{company}/profiles/{uuid}"),
            &[("company_id", &company), ("uuid", &uuid)],
            &json!({"operation": "credentials", "credentials": {"password": PASSWORD}}),
        )
        .await?;
    expect(added.0 == 201, "the known profile has a password")?;

    let mut operations = Vec::new();
    for operation in ["login", "password-change request"] {
        let (mut known_ms, mut unknown_ms) = (Vec::new(), Vec::new());
        for round in 0..WARM_UP + args.samples {
            // Alternate which goes first, so neither always follows the other.
            let order = if round % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for is_known in order {
                let email = if is_known {
                    known.to_owned()
                } else {
                    format!("nobody-{round}@bench.example")
                };
                let (status, took, _) = match operation {
                    "login" => bench.login(&email).await?,
                    _ => bench.request(&email).await?,
                };
                let expected = if operation == "login" { 422 } else { 200 };
                expect(
                    status == expected,
                    &format!("{operation}: {status}, not {expected}"),
                )?;
                if round >= WARM_UP {
                    let ms = took.as_secs_f64() * 1000.0;
                    if is_known {
                        known_ms.push(ms);
                    } else {
                        unknown_ms.push(ms);
                    }
                }
            }
        }
        let (known_median, unknown_median) = (median(&mut known_ms), median(&mut unknown_ms));
        let ratio = known_median / unknown_median;
        println!(
            "{operation:<24} known {known_median:7.1} ms  unknown {unknown_median:7.1} ms  \
             ratio {ratio:.3}  ({} samples each)",
            args.samples
        );
        operations.push(json!({
            "operation": operation,
            "samples": args.samples,
            "known_median_ms": round2(known_median),
            "unknown_median_ms": round2(unknown_median),
            "known_p90_ms": round2(percentile(&known_ms, 0.9)),
            "unknown_p90_ms": round2(percentile(&unknown_ms, 0.9)),
            "ratio": (ratio * 1000.0).round() / 1000.0,
            "within_20_percent": (0.8..=1.2).contains(&ratio),
        }));
    }
    let mails = std::fs::read_dir(&mail).map(|d| d.count()).unwrap_or(0);
    let _ = std::fs::remove_dir_all(&mail);
    let report = json!({
        "method": format!(
            "`target/release/enumeration --samples {}` (scripts/bench-enumeration.sh): the \
             handlers in process against DynamoDB Local, argon2id at the OWASP minimum, known \
             and unknown identifiers alternated sample by sample after {WARM_UP} warm-up \
             rounds; password-change requests with prevent_user_existence_errors and its \
             {floor_ms} ms response floor, {mails} e-mails written (known requests only)",
            args.samples
        ),
        "operations": operations,
    });
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)?)?;
    Ok(())
}

fn expect(ok: bool, what: &str) -> Result<(), Failure> {
    if ok { Ok(()) } else { Err(what.into()) }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Nearest rank on sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
