//! `cold-start`: how long the function binaries take to start, measured the way Lambda runs
//! them, against a minimal Lambda Runtime API served on loopback.
//!
//! For each sample it serves the Runtime API
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>) on `127.0.0.1` with an
//! ephemeral port of its own, spawns one binary with `AWS_LAMBDA_RUNTIME_API` pointing at it
//! (plus the usual Lambda variables and the caller's environment file), and measures from the
//! spawn:
//!
//! - **ready**: the first `GET /2018-06-01/runtime/invocation/next` (the function's init is done);
//! - **first response**: the `POST .../invocation/{id}/response` for the one event it is given,
//!   an API Gateway HTTP API (payload 2.0) request that does real work, DynamoDB included.
//!
//! Then it kills the process. Binaries are alternated (hello-world, f1, hello-world, f2, ...)
//! for every round, so a change of machine load hits them alike. A sample whose answer is not
//! the expected status, that times out, or whose process dies, is an error: it is reported (with
//! the process's output) and counted, never folded into the numbers.
//!
//! The data the events need (profiles, a password) is created first, through the same harness,
//! by the create-profile and patch-profile binaries themselves; that setup is reported apart.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt::Write as _;
use std::io::Read;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const BASELINE: &str = "hello-world";
/// The password the setup gives the shared profile (strong enough for the demo policy).
const SETUP_PASSWORD: &str = "lantern orbit meadow 7";

#[derive(Debug, Parser)]
#[command(
    name = "cold-start",
    about = "Cold starts of the function binaries against a Lambda Runtime API on loopback"
)]
struct Cli {
    /// Directory holding the release binaries: the six functions and hello-world.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// Environment of the functions: KEY=VALUE lines, as `write_env` in scripts/lib.sh writes
    /// them (table names, DynamoDB endpoint, credentials, auth settings).
    #[arg(long)]
    env_file: PathBuf,
    /// Bearer token the functions accept for --company (`idp-admin token`).
    #[arg(long, env = "IDP_BENCH_TOKEN", hide_env_values = true)]
    token: String,
    /// Company the events act on; its configuration must be loaded (the demo company).
    #[arg(long, default_value = "-1", allow_hyphen_values = true)]
    company: String,
    /// Rounds; each round starts hello-world before every function.
    #[arg(long, default_value_t = 15)]
    rounds: usize,
    /// Functions to measure, comma-separated (default: all six).
    #[arg(long, value_delimiter = ',', default_values_t = idp_core::routes::functions().into_iter().map(String::from))]
    functions: Vec<String>,
    /// Limit per sample, from the spawn to the first response, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    /// AWS_LAMBDA_FUNCTION_MEMORY_SIZE given to every binary (informational only here).
    #[arg(long, default_value_t = 256)]
    memory_size: u32,
    /// Write the JSON report to this file instead of stdout.
    #[arg(long)]
    json: Option<PathBuf>,
    /// More environment for one function, `FUNCTION:KEY=VALUE` (repeatable): what
    /// template.yaml sets for that function alone. The env file wins where both set a key.
    #[arg(long = "function-env", value_name = "FUNCTION:KEY=VALUE")]
    function_env: Vec<String>,
}

/// `--function-env` values, by function.
fn parse_function_env(
    values: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let mut by_function: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for value in values {
        let (function, pair) = value
            .split_once(':')
            .ok_or_else(|| format!("--function-env `{value}`: expected FUNCTION:KEY=VALUE"))?;
        if !idp_core::routes::functions().contains(&function) {
            return Err(format!(
                "--function-env `{value}`: unknown function `{function}`"
            ));
        }
        let env = parse_env_file(pair).map_err(|e| format!("--function-env `{value}`: {e}"))?;
        by_function.entry(function.into()).or_default().extend(env);
    }
    Ok(by_function)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(0) => ExitCode::SUCCESS,
        Ok(failed) => {
            eprintln!("cold-start: {failed} sample(s) failed; see `errors` in the report");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("cold-start: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the whole benchmark; returns how many samples failed.
async fn run(cli: Cli) -> Result<usize, BoxError> {
    if cli.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    for (i, function) in cli.functions.iter().enumerate() {
        let known = idp_core::routes::functions();
        if !known.contains(&function.as_str()) {
            return Err(format!(
                "unknown function `{function}` (known: {})",
                known.join(", ")
            )
            .into());
        }
        if cli.functions.iter().take(i).any(|f| f == function) {
            return Err(format!("`{function}` is listed twice in --functions").into());
        }
    }
    let text = std::fs::read_to_string(&cli.env_file)
        .map_err(|e| format!("{}: {e}", cli.env_file.display()))?;
    let file_env = parse_env_file(&text).map_err(|e| format!("{}: {e}", cli.env_file.display()))?;
    let mut function_env = parse_function_env(&cli.function_env)?;
    // The env file wins: keep only what it leaves to the template, which is what the report names.
    for env in function_env.values_mut() {
        env.retain(|key, _| !file_env.contains_key(key));
    }
    function_env.retain(|_, env| !env.is_empty());
    let region = file_env
        .get("AWS_REGION")
        .cloned()
        .unwrap_or_else(|| "us-east-1".into());
    let bin_dir = std::path::absolute(&cli.bin_dir)?;
    let timeout = Duration::from_secs(cli.timeout_secs);
    let bench = Bench {
        bin_dir,
        file_env,
        function_env,
        region,
        memory_size: cli.memory_size,
        timeout,
        token: cli.token.clone(),
        company: cli.company.clone(),
        tag: uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .take(10)
            .collect(),
    };
    let mut names: Vec<&str> = vec![BASELINE];
    names.extend(cli.functions.iter().map(String::as_str));
    // The setup runs create-profile and patch-profile whatever is measured.
    for name in names.iter().chain(&["create-profile", "patch-profile"]) {
        let path = bench.bin_dir.join(name);
        if !path.is_file() {
            return Err(format!(
                "{} is missing: build it with `cargo build --release -p {}`",
                path.display(),
                if *name == BASELINE { "idp-bench" } else { name }
            )
            .into());
        }
    }

    let begun = Instant::now();
    eprintln!(
        "cold-start: setup (profiles for {} rounds, through create-profile and patch-profile)",
        cli.rounds
    );
    let (fixtures, setup_report) = bench.setup(cli.rounds).await?;

    let mut samples: Vec<Sample> = Vec::new();
    let mut requests: BTreeMap<String, String> = BTreeMap::new();
    for round in 0..cli.rounds {
        for function in &cli.functions {
            for binary in [BASELINE, function.as_str()] {
                let scenario = Scenario::new(binary, function, round, &fixtures, &bench)?;
                requests
                    .entry(binary.to_owned())
                    .or_insert_with(|| scenario.describe());
                let sample = bench.sample(round, binary, &scenario).await;
                if let Err(why) = &sample.result {
                    eprintln!("cold-start: round {round}, {binary}: {why}");
                }
                samples.push(sample);
            }
        }
        eprintln!("cold-start: round {}/{} done", round + 1, cli.rounds);
    }

    let report = build_report(
        &cli,
        &bench,
        &names,
        &samples,
        &requests,
        setup_report,
        begun.elapsed(),
    );
    eprint!("{}", summary(&report));
    let pretty = serde_json::to_string_pretty(&report)?;
    match &cli.json {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(path, pretty + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        }
        None => println!("{pretty}"),
    }
    Ok(samples.iter().filter(|s| s.result.is_err()).count())
}

// ------------------------------------------------------------------ the benchmark

#[derive(Debug)]
struct Bench {
    bin_dir: PathBuf,
    file_env: BTreeMap<String, String>,
    function_env: BTreeMap<String, BTreeMap<String, String>>,
    region: String,
    memory_size: u32,
    timeout: Duration,
    token: String,
    company: String,
    /// Unique per run: keeps this run's profiles apart from any earlier run's.
    tag: String,
}

/// What the events act on, created by the setup.
#[derive(Debug)]
struct Fixtures {
    /// Active, with a password: shown by show-profile, refused a first password by patch-profile.
    main: String,
    /// One active profile per round, deactivated by that round's profile-status sample.
    to_deactivate: Vec<String>,
    /// One profile per round, erased by that round's delete-profile sample.
    to_erase: Vec<String>,
    /// One e-mail per round, of an active profile that gets that round's password-change token
    /// (one per profile: requests for the same profile are rate-limited).
    to_mail: Vec<String>,
}

#[derive(Debug)]
struct Sample {
    round: usize,
    binary: String,
    /// The ready and first-response times, and the status; or why the sample failed.
    result: Result<(Duration, Duration, u16), String>,
}

impl Bench {
    fn target(&self, name: &str) -> Target {
        let mut env = lambda_env(name, &self.region, self.memory_size, &self.bin_dir);
        env.extend(self.file_env.clone());
        env.extend(self.function_env.get(name).cloned().unwrap_or_default());
        env.insert("AWS_LAMBDA_FUNCTION_NAME".into(), name.into());
        Target {
            path: self.bin_dir.join(name),
            dir: self.bin_dir.clone(),
            function_arn: format!(
                "arn:aws:lambda:{}:000000000000:function:{name}",
                self.region
            ),
            env,
        }
    }

    fn profile_body(&self, label: &str) -> Value {
        json!({
            "register_type": "nin_register",
            "information_provider": "test_idp",
            "profile": {
                "nin": format!("bench-{}-{label}", self.tag),
                "email": self.email(label),
                "origin": "test_idp",
                "name": "Bench",
                "lastname": "Mark",
            },
        })
    }

    fn email(&self, label: &str) -> String {
        format!("bench-{}-{label}@bench.test", self.tag)
    }

    /// Creates the profiles the events need (one warm create-profile process serves them all)
    /// and gives the main one a password; fails the run if any step fails.
    async fn setup(&self, rounds: usize) -> Result<(Fixtures, Value), BoxError> {
        let mut labels = vec!["main".to_owned()];
        labels.extend((0..rounds).map(|r| format!("status-{r}")));
        labels.extend((0..rounds).map(|r| format!("erase-{r}")));
        labels.extend((0..rounds).map(|r| format!("mail-{r}")));
        let creates: Vec<(Scenario, Invocation)> = labels
            .iter()
            .map(|label| {
                let scenario = Scenario::create(self, label);
                let invocation = scenario.invocation(self);
                (scenario, invocation)
            })
            .collect();
        let limit = self.timeout + Duration::from_secs(labels.len() as u64);
        let target = self.target("create-profile");
        let invocations = creates.iter().map(|(_, i)| i.clone()).collect();
        let outcome = run_process(&target, invocations, limit)
            .await
            .map_err(|why| format!("setup: create-profile: {why}"))?;
        let mut uuids: HashMap<String, String> = HashMap::new();
        for ((_, invocation), label) in creates.iter().zip(&labels) {
            let answer = outcome
                .answer(&invocation.request_id)
                .ok_or_else(|| format!("setup: no answer for the profile `{label}`"))?;
            let uuid = expect_status(answer, 201)
                .ok()
                .and_then(|_| answer.body_json())
                .and_then(|body| body.pointer("/data/uuid")?.as_str().map(str::to_owned))
                .ok_or_else(|| {
                    format!(
                        "setup: creating the profile `{label}` answered {}: {}",
                        answer.status,
                        answer.body_text()
                    )
                })?;
            uuids.insert(label.clone(), uuid);
        }
        let uuid = |label: &str| {
            uuids
                .get(label)
                .cloned()
                .ok_or_else(|| format!("setup: no uuid for `{label}`"))
        };
        let fixtures = Fixtures {
            main: uuid("main")?,
            to_deactivate: (0..rounds)
                .map(|r| uuid(&format!("status-{r}")))
                .collect::<Result<_, _>>()?,
            to_erase: (0..rounds)
                .map(|r| uuid(&format!("erase-{r}")))
                .collect::<Result<_, _>>()?,
            to_mail: (0..rounds)
                .map(|r| self.email(&format!("mail-{r}")))
                .collect(),
        };

        let password = Scenario::add_password(&fixtures.main, SETUP_PASSWORD, 201);
        let invocation = password.invocation(self);
        let added = run_process(
            &self.target("patch-profile"),
            vec![invocation],
            self.timeout,
        )
        .await
        .map_err(|why| format!("setup: add-password: {why}"))?;
        let answer = added
            .answers
            .first()
            .ok_or("setup: add-password gave no answer")?;
        expect_status(answer, 201).map_err(|why| format!("setup: add-password: {why}"))?;

        let report = json!([
            {
                "binary": "create-profile",
                "what": "creates the profiles the events use (one process, one event each)",
                "invocations": labels.len(),
                "ready_ms": ms(outcome.ready),
                "last_response_ms": outcome.answers.iter().map(|a| ms(a.at)).fold(0.0, f64::max),
            },
            {
                "binary": "patch-profile",
                "what": "gives the shown profile a password (argon2 hash, once)",
                "invocations": 1,
                "ready_ms": ms(added.ready),
                "last_response_ms": ms(answer.at),
            },
        ]);
        Ok((fixtures, report))
    }

    async fn sample(&self, round: usize, binary: &str, scenario: &Scenario) -> Sample {
        let invocation = scenario.invocation(self);
        let request_id = invocation.request_id.clone();
        let result = match run_process(&self.target(binary), vec![invocation], self.timeout).await {
            Ok(outcome) => match outcome.answer(&request_id) {
                Some(answer) => expect_status(answer, scenario.expected)
                    .map(|()| (outcome.ready, answer.at, answer.status)),
                None => Err("no answer for the event".into()),
            },
            Err(why) => Err(why),
        };
        Sample {
            round,
            binary: binary.into(),
            result,
        }
    }
}

fn expect_status(answer: &Answer, expected: u16) -> Result<(), String> {
    if answer.status == expected {
        Ok(())
    } else {
        Err(format!(
            "expected status {expected}, got {}: {}",
            answer.status,
            answer.body_text()
        ))
    }
}

/// The variables Lambda itself sets for a `provided.al2023` function (the environment file and
/// the runtime API address come on top).
fn lambda_env(name: &str, region: &str, memory_size: u32, dir: &Path) -> BTreeMap<String, String> {
    let stream = uuid::Uuid::new_v4().simple().to_string();
    [
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_size.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            format!("bench/[$LATEST]{stream}"),
        ),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".into()),
        ("AWS_REGION", region.to_owned()),
        ("AWS_DEFAULT_REGION", region.to_owned()),
        ("_HANDLER", "bootstrap".into()),
        ("LAMBDA_TASK_ROOT", dir.display().to_string()),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".into()),
        ("LANG", "en_US.UTF-8".into()),
        ("TZ", ":UTC".into()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// `KEY=VALUE` lines; blank lines and `#` comments skipped, an `export ` prefix and one pair of
/// surrounding quotes allowed. No expansion: `write_env` writes plain values.
fn parse_env_file(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut env = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: expected KEY=VALUE", n + 1))?;
        let valid_key = key
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
        if key.is_empty() || !valid_key {
            return Err(format!("line {}: `{key}` is not a variable name", n + 1));
        }
        let value = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q)?.strip_suffix(*q))
            .unwrap_or(value);
        env.insert(key.to_owned(), value.to_owned());
    }
    Ok(env)
}

// ------------------------------------------------------------------ the events

/// One API Gateway HTTP API request, and the status it must get.
#[derive(Debug)]
struct Scenario {
    /// What the request makes the function do, for the report.
    what: &'static str,
    expected: u16,
    method: &'static str,
    /// The route template, e.g. `/v1/companies/{company_id}/profiles/{uuid}`.
    route: &'static str,
    uuid: Option<String>,
    /// Path parameters other than `company_id` and `uuid`, with their values.
    params: &'static [(&'static str, &'static str)],
    body: Option<Value>,
}

impl Scenario {
    /// The event `binary` gets in `round`; hello-world gets the show-profile event.
    fn new(
        binary: &str,
        function: &str,
        round: usize,
        fixtures: &Fixtures,
        bench: &Bench,
    ) -> Result<Self, String> {
        let fixture = |list: &[String]| {
            list.get(round)
                .cloned()
                .ok_or_else(|| format!("no fixture for round {round}"))
        };
        Ok(match binary {
            BASELINE => Self {
                what: "the show-profile event; answers \"hello\" without reading it",
                ..Self::show(&fixtures.main)
            },
            // A new profile: GetItem of the company, then the transaction that writes it.
            "create-profile" => Self::create(bench, &format!("new-{round}")),
            // An active profile: one GetItem of the profile.
            "show-profile" => Self::show(&fixtures.main),
            // The company's configuration: one GetItem of the company, on a cold instance.
            "show-company" => Self {
                what: "shows the company's configuration",
                expected: 200,
                method: "GET",
                route: "/v1/companies/{company_id}",
                uuid: None,
                params: &[],
                body: None,
            },
            // One register type of the company: one GetItem of the company.
            "show-register-type" => Self {
                what: "shows one register type of the company",
                expected: 200,
                method: "GET",
                route: "/v1/companies/{company_id}/register_types/{register_name}/information_provider/{provider_name}",
                uuid: None,
                params: &[
                    ("register_name", "nin_register"),
                    ("provider_name", "test_idp"),
                ],
                body: None,
            },
            // The first page of the company's register types: one GetItem of the company.
            "list-register-types" => Self {
                what: "lists the first page of the company's register types",
                expected: 200,
                method: "GET",
                route: "/v1/companies/{company_id}/register_types",
                uuid: None,
                params: &[],
                body: None,
            },
            // A profile that has a password already: company and login record read, no hash.
            "patch-profile" => {
                Self::add_password(&fixtures.main, "copper kettle sings at dawn", 422)
            }
            // The company's first page, no filter: 8 index queries and one batch read.
            "search-profiles" => Self {
                what: "lists the company's first page of profiles (no filter)",
                expected: 200,
                method: "POST",
                route: "/v1/companies/{company_id}/profiles/query",
                uuid: None,
                params: &[],
                body: Some(json!({})),
            },
            // Identifiers of no login form: the company configuration is read, then 400.
            // (Every other refusal, and every success, runs one argon2 verification.)
            "login" => Self {
                what: "credentials of no login form: the company configuration is read, \
                    then 400 (every other refusal, and a success, runs argon2)",
                expected: 400,
                method: "POST",
                route: "/v1/companies/{company_id}/profiles/login",
                uuid: None,
                params: &[],
                body: Some(json!({"credentials": {
                    "username": format!("bench-{}", bench.tag),
                    "password": "not checked",
                }})),
            },
            // Passwordless options: the company configuration read, one UpdateItem keeping the
            // ceremony's state (the WebAuthn relying party built, nothing verified).
            "login-passkey" => Self {
                what: "passwordless options: the company is read, the ceremony kept",
                expected: 200,
                method: "POST",
                route: "/v1/companies/{company_id}/profiles/login/passkey",
                uuid: None,
                params: &[],
                body: Some(json!({})),
            },
            // Deactivates this round's own active profile: one conditional UpdateItem.
            // This round's own profile: one Query of its partition, one transaction.
            "delete-profile" => Self {
                what: "erases this round's own profile",
                expected: 200,
                method: "DELETE",
                route: "/v1/companies/{company_id}/profiles/{uuid}",
                uuid: Some(fixture(&fixtures.to_erase)?),
                params: &[],
                body: None,
            },
            "profile-status" => Self {
                what: "deactivates this round's own active profile",
                expected: 200,
                method: "PATCH",
                route: "/v1/companies/{company_id}/profiles/{uuid}/status",
                uuid: Some(fixture(&fixtures.to_deactivate)?),
                params: &[],
                body: Some(json!({"operation": "deactivate"})),
            },
            // A token for this round's own profile: company, lookup, login record, the token
            // transaction and the mail file.
            "password-change" => Self {
                what: "requests a token by e-mail for this round's own profile (file transport)",
                expected: 200,
                method: "PATCH",
                route: "/v1/companies/{company_id}/profiles/password",
                uuid: None,
                params: &[],
                body: Some(json!({
                    "operation": "request",
                    "access_type": "email",
                    "profile": fixture(&fixtures.to_mail)?,
                })),
            },
            // The main profile's audit trail: one Query of its event partition.
            "profile-events" => Self {
                what: "lists the first page of a profile's audit trail",
                expected: 200,
                method: "GET",
                route: "/v1/companies/{company_id}/profiles/{uuid}/events",
                uuid: Some(fixtures.main.clone()),
                params: &[],
                body: None,
            },
            // The company's audit trail: one Query per shard of its index, sent together.
            "company-events" => Self {
                what: "lists the first page of the company's audit trail",
                expected: 200,
                method: "GET",
                route: "/v1/companies/{company_id}/events",
                uuid: None,
                params: &[],
                body: None,
            },
            other => return Err(format!("no event for `{other}` (function {function})")),
        })
    }

    fn show(uuid: &str) -> Self {
        Self {
            what: "shows an active profile",
            expected: 200,
            method: "GET",
            route: "/v1/companies/{company_id}/profiles/{uuid}",
            uuid: Some(uuid.to_owned()),
            params: &[],
            body: None,
        }
    }

    fn create(bench: &Bench, label: &str) -> Self {
        Self {
            what: "creates a new profile",
            expected: 201,
            method: "POST",
            route: "/v1/companies/{company_id}/profiles",
            uuid: None,
            params: &[],
            body: Some(bench.profile_body(label)),
        }
    }

    fn add_password(uuid: &str, password: &str, expected: u16) -> Self {
        Self {
            what: if expected == 201 {
                "gives a profile its first password"
            } else {
                "a first password for a profile that has one: company and login record read, \
                    no hash, 422"
            },
            expected,
            method: "PATCH",
            route: "/v1/companies/{company_id}/profiles/{uuid}",
            uuid: Some(uuid.to_owned()),
            params: &[],
            body: Some(json!({"operation": "credentials", "credentials": {"password": password}})),
        }
    }

    /// What the JSON report says about the request.
    fn describe(&self) -> String {
        format!(
            "{} {} -> {}: {}",
            self.method, self.route, self.expected, self.what
        )
    }

    /// The API Gateway HTTP API payload 2.0 event, wrapped with its runtime headers' values.
    fn invocation(&self, bench: &Bench) -> Invocation {
        let request_id = uuid::Uuid::new_v4().to_string();
        let path = self
            .route
            .replace("{company_id}", &bench.company)
            .replace("{uuid}", self.uuid.as_deref().unwrap_or_default());
        let path = self.params.iter().fold(path, |path, (name, value)| {
            path.replace(&format!("{{{name}}}"), value)
        });
        let route_key = format!("{} {}", self.method, self.route);
        let body = self.body.as_ref().map(Value::to_string);
        let now_ms = epoch_ms(SystemTime::now());
        let trace = uuid::Uuid::new_v4().simple().to_string();
        let (trace_time, trace_rest) = trace.split_at(8);
        let trace_id =
            format!("Root=1-{trace_time}-{trace_rest};Parent=0000000000000001;Sampled=0");
        let mut headers = Map::new();
        headers.insert("accept".into(), "*/*".into());
        headers.insert(
            "authorization".into(),
            format!("Bearer {}", bench.token).into(),
        );
        headers.insert("host".into(), "bench.execute-api.localhost".into());
        headers.insert("user-agent".into(), "idp-bench/cold-start".into());
        headers.insert("x-forwarded-for".into(), "127.0.0.1".into());
        headers.insert("x-forwarded-port".into(), "443".into());
        headers.insert("x-forwarded-proto".into(), "https".into());
        headers.insert("x-amzn-trace-id".into(), trace_id.clone().into());
        if let Some(body) = &body {
            headers.insert("content-type".into(), "application/json".into());
            headers.insert("content-length".into(), body.len().to_string().into());
        }
        let mut path_parameters = Map::new();
        path_parameters.insert("company_id".into(), bench.company.clone().into());
        if let Some(uuid) = &self.uuid {
            path_parameters.insert("uuid".into(), uuid.clone().into());
        }
        for (name, value) in self.params {
            path_parameters.insert((*name).into(), (*value).into());
        }
        let mut event = json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": "",
            "headers": headers,
            "pathParameters": path_parameters,
            "requestContext": {
                "accountId": "000000000000",
                "apiId": "bench",
                "domainName": "bench.execute-api.localhost",
                "domainPrefix": "bench",
                "http": {
                    "method": self.method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": "idp-bench/cold-start",
                },
                "requestId": request_id,
                "routeKey": route_key,
                "stage": "$default",
                "timeEpoch": now_ms,
            },
            "isBase64Encoded": false,
        });
        if let (Some(body), Some(object)) = (body, event.as_object_mut()) {
            object.insert("body".into(), body.into());
        }
        Invocation {
            request_id,
            trace_id,
            event: event.to_string(),
        }
    }
}

// ------------------------------------------------------------------ one process

/// A binary and the environment it runs with (all but `AWS_LAMBDA_RUNTIME_API`).
#[derive(Debug)]
struct Target {
    path: PathBuf,
    dir: PathBuf,
    function_arn: String,
    env: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct Invocation {
    request_id: String,
    trace_id: String,
    event: String,
}

/// A function's answer to one event, as posted to `.../response`.
#[derive(Debug)]
struct Answer {
    request_id: String,
    /// From the spawn.
    at: Duration,
    status: u16,
    /// The whole response document (`statusCode`, `headers`, `body`, ...).
    response: Value,
}

impl Answer {
    fn body_text(&self) -> String {
        let text = match self.response.get("body") {
            Some(Value::String(body)) => body.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        shorten(&text, 600)
    }

    fn body_json(&self) -> Option<Value> {
        serde_json::from_str(self.response.get("body")?.as_str()?).ok()
    }
}

#[derive(Debug)]
struct Outcome {
    /// From the spawn to the first poll for an event.
    ready: Duration,
    answers: Vec<Answer>,
}

impl Outcome {
    fn answer(&self, request_id: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.request_id == request_id)
    }
}

/// Starts `target` against a Runtime API of its own that hands it `invocations` in order,
/// waits for an answer to each (or the limit), then kills it. On failure, the reason comes with
/// the process's exit status and the end of its output.
async fn run_process(
    target: &Target,
    invocations: Vec<Invocation>,
    limit: Duration,
) -> Result<Outcome, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening port: {e}"))?
        .port();
    let wanted: Vec<String> = invocations.iter().map(|i| i.request_id.clone()).collect();
    let (reports, mut inbox) = mpsc::unbounded_channel();
    let api = Arc::new(RuntimeApi {
        pending: Mutex::new(invocations.into()),
        reports,
        function_arn: target.function_arn.clone(),
        timeout: limit,
    });
    let server = tokio::spawn(serve(listener, api));

    let mut command = Command::new(&target.path);
    command
        .env_clear()
        .envs(&target.env)
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .current_dir(&target.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            server.abort();
            return Err(format!("cannot start {}: {e}", target.path.display()));
        }
    };
    let stdout = Capture::start(child.stdout.take());
    let stderr = Capture::start(child.stderr.take());
    let result = watch(&mut child, &mut inbox, started, &wanted, limit).await;
    server.abort();
    let (status, stdout, stderr) = tokio::task::spawn_blocking(move || {
        // Already exited is fine: `kill` and `wait` then report what is known.
        let _ = child.kill();
        let status = child.wait().ok();
        (status, stdout.finish(), stderr.finish())
    })
    .await
    .unwrap_or((None, String::new(), String::new()));
    result.map_err(|why| {
        let mut message = why;
        if let Some(status) = status.filter(|s| !killed(s)) {
            let _ = write!(message, " ({status})");
        }
        if !stderr.trim().is_empty() {
            let _ = write!(message, "; stderr: {}", stderr.trim());
        }
        if !stdout.trim().is_empty() {
            let _ = write!(message, "; stdout: {}", stdout.trim());
        }
        message
    })
}

#[cfg(unix)]
fn killed(status: &ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
}

#[cfg(not(unix))]
fn killed(_: &ExitStatus) -> bool {
    false
}

async fn watch(
    child: &mut Child,
    inbox: &mut mpsc::UnboundedReceiver<Report>,
    started: Instant,
    wanted: &[String],
    limit: Duration,
) -> Result<Outcome, String> {
    let deadline = tokio::time::Instant::from_std(started + limit);
    let mut poll = tokio::time::interval(Duration::from_millis(5));
    let mut ready = None;
    let mut answers: Vec<Answer> = Vec::new();
    loop {
        tokio::select! {
            // What the process said comes before noticing that it exited.
            biased;
            report = inbox.recv() => match report {
                Some(Report::Next { at }) => {
                    ready.get_or_insert(at.saturating_duration_since(started));
                }
                Some(Report::Response { request_id, at, body }) => {
                    if !wanted.contains(&request_id) {
                        return Err(format!("a response for an unknown request id `{request_id}`"));
                    }
                    if answers.iter().any(|a| a.request_id == request_id) {
                        return Err(format!("a second response for `{request_id}`"));
                    }
                    let response: Value = serde_json::from_slice(&body).map_err(|e| {
                        format!("a response that is not JSON ({e}): {}", lossy(&body))
                    })?;
                    let status = response
                        .get("statusCode")
                        .and_then(Value::as_u64)
                        .and_then(|s| u16::try_from(s).ok())
                        .ok_or_else(|| format!("a response without statusCode: {}", lossy(&body)))?;
                    answers.push(Answer {
                        request_id,
                        at: at.saturating_duration_since(started),
                        status,
                        response,
                    });
                    if answers.len() == wanted.len() {
                        let ready = ready.ok_or("answered without polling for an event")?;
                        return Ok(Outcome { ready, answers });
                    }
                }
                Some(Report::InvocationError { request_id, error_type, body }) => {
                    return Err(format!(
                        "invocation error for `{request_id}` ({error_type}): {}",
                        lossy(&body)
                    ));
                }
                Some(Report::InitError { error_type, body }) => {
                    return Err(format!("init error ({error_type}): {}", lossy(&body)));
                }
                Some(Report::Unexpected { what }) => {
                    return Err(format!("unexpected runtime API call: {what}"));
                }
                None => return Err("the runtime API server stopped".into()),
            },
            _ = poll.tick() => match child.try_wait() {
                // The exit status is added with the process's output.
                Ok(Some(_)) => {
                    let when = if ready.is_some() { "after its init, before answering" } else { "during init" };
                    return Err(format!("the process exited {when}"));
                }
                Ok(None) => {}
                Err(e) => return Err(format!("cannot check on the process: {e}")),
            },
            () = tokio::time::sleep_until(deadline) => {
                let phase = if ready.is_some() { "init done, no answer" } else { "still in init" };
                return Err(format!("timed out after {} ms ({phase})", limit.as_millis()));
            }
        }
    }
}

/// The end of a process's stdout or stderr, read by a thread until the pipe closes.
#[derive(Debug)]
struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
}

impl Capture {
    /// Only the last bytes are kept: enough to show why a process failed.
    const KEEP: usize = 16 * 1024;

    fn start<R: Read + Send + 'static>(stream: Option<R>) -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let thread = stream.map(|mut stream| {
            let buffer = Arc::clone(&buffer);
            std::thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                while let Ok(n @ 1..) = stream.read(&mut chunk) {
                    let mut kept = buffer.lock().unwrap_or_else(PoisonError::into_inner);
                    kept.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    let excess = kept.len().saturating_sub(Self::KEEP);
                    kept.drain(..excess);
                }
            })
        });
        Self { buffer, thread }
    }

    /// Waits for the pipe to close (the process is gone), then gives what was kept.
    fn finish(mut self) -> String {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let kept = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&kept).into_owned()
    }
}

// ------------------------------------------------------------------ the Runtime API

/// What the process did, in the order the server saw it.
#[derive(Debug)]
enum Report {
    Next {
        at: Instant,
    },
    Response {
        request_id: String,
        at: Instant,
        body: Bytes,
    },
    InvocationError {
        request_id: String,
        error_type: String,
        body: Bytes,
    },
    InitError {
        error_type: String,
        body: Bytes,
    },
    Unexpected {
        what: String,
    },
}

#[derive(Debug)]
struct RuntimeApi {
    /// Every event of the process, queued before it starts.
    pending: Mutex<VecDeque<Invocation>>,
    reports: mpsc::UnboundedSender<Report>,
    function_arn: String,
    /// Sets `Lambda-Runtime-Deadline-Ms`.
    timeout: Duration,
}

impl RuntimeApi {
    fn report(&self, report: Report) {
        // The harness stops listening only once the process is being stopped.
        let _ = self.reports.send(report);
    }

    async fn next_invocation(&self) -> Invocation {
        let next = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        match next {
            Some(invocation) => invocation,
            // Once every event is handed out the poll stays open, as on Lambda, until the
            // process is stopped.
            None => std::future::pending().await,
        }
    }
}

/// Serves HTTP/1.1 (keep-alive, any number of connections) until the task is aborted, which
/// drops every connection with it.
async fn serve(listener: TcpListener, api: Arc<RuntimeApi>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let api = Arc::clone(&api);
                    connections.spawn(async move {
                        let service = service_fn(move |req| handle(Arc::clone(&api), req));
                        // A connection broken by the process's end is expected; anything else
                        // shows up as a missing answer.
                        let _ = http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                Err(e) => {
                    api.report(Report::Unexpected { what: format!("accept failed: {e}") });
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

const API_PREFIX: &str = "/2018-06-01/runtime/";

async fn handle(
    api: Arc<RuntimeApi>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let arrived = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route: Vec<&str> = path
        .strip_prefix(API_PREFIX)
        .map(|rest| rest.split('/').collect())
        .unwrap_or_default();
    let error_type = || {
        req.headers()
            .get("lambda-runtime-function-error-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unspecified")
            .to_owned()
    };
    Ok(match (&method, route.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => {
            api.report(Report::Next { at: arrived });
            let invocation = api.next_invocation().await;
            next_response(&api, invocation)
        }
        (&Method::POST, ["invocation", id, "response"]) => {
            let request_id = (*id).to_owned();
            match req.into_body().collect().await {
                Ok(body) => {
                    api.report(Report::Response {
                        request_id,
                        at: Instant::now(),
                        body: body.to_bytes(),
                    });
                    accepted()
                }
                Err(e) => unexpected(&api, format!("reading the response of {request_id}: {e}")),
            }
        }
        (&Method::POST, ["invocation", id, "error"]) => {
            let request_id = (*id).to_owned();
            let error_type = error_type();
            match req.into_body().collect().await {
                Ok(body) => {
                    api.report(Report::InvocationError {
                        request_id,
                        error_type,
                        body: body.to_bytes(),
                    });
                    accepted()
                }
                Err(e) => unexpected(&api, format!("reading the error of {request_id}: {e}")),
            }
        }
        (&Method::POST, ["init", "error"]) => {
            let error_type = error_type();
            match req.into_body().collect().await {
                Ok(body) => {
                    api.report(Report::InitError {
                        error_type,
                        body: body.to_bytes(),
                    });
                    accepted()
                }
                Err(e) => unexpected(&api, format!("reading the init error: {e}")),
            }
        }
        _ => unexpected(&api, format!("{method} {path}")),
    })
}

fn next_response(api: &RuntimeApi, invocation: Invocation) -> Response<Full<Bytes>> {
    let deadline = epoch_ms(SystemTime::now() + api.timeout);
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &invocation.request_id)
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header("lambda-runtime-invoked-function-arn", &api.function_arn)
        .header("lambda-runtime-trace-id", &invocation.trace_id)
        .body(Full::new(Bytes::from(invocation.event)))
        .unwrap_or_else(|e| {
            api.report(Report::Unexpected {
                what: format!("cannot build the event response: {e}"),
            });
            plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot build the event")
        })
}

fn accepted() -> Response<Full<Bytes>> {
    let mut response = plain(StatusCode::ACCEPTED, r#"{"status":"OK"}"#);
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn unexpected(api: &RuntimeApi, what: String) -> Response<Full<Bytes>> {
    api.report(Report::Unexpected { what });
    plain(
        StatusCode::NOT_FOUND,
        "not served by the cold-start harness",
    )
}

fn plain(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

// ------------------------------------------------------------------ the report

fn build_report(
    cli: &Cli,
    bench: &Bench,
    names: &[&str],
    samples: &[Sample],
    requests: &BTreeMap<String, String>,
    setup: Value,
    elapsed: Duration,
) -> Value {
    let ok = |name: &str| -> Vec<(Duration, Duration)> {
        samples
            .iter()
            .filter(|s| s.binary == name)
            .filter_map(|s| s.result.as_ref().ok().map(|(r, f, _)| (*r, *f)))
            .collect()
    };
    let medians = |name: &str| {
        let done = ok(name);
        (
            median(&sorted(done.iter().map(|(r, _)| ms(*r)))),
            median(&sorted(done.iter().map(|(_, f)| ms(*f)))),
        )
    };
    let (base_ready, base_first) = medians(BASELINE);
    let mut binaries = Map::new();
    let mut ratio_ready = Map::new();
    let mut ratio_first = Map::new();
    for name in names {
        let done = ok(name);
        let errors: Vec<Value> = samples
            .iter()
            .filter(|s| s.binary == *name)
            .filter_map(|s| {
                let why = s.result.as_ref().err()?;
                Some(json!({"round": s.round, "error": why}))
            })
            .collect();
        let request = requests.get(*name).cloned().unwrap_or_default();
        binaries.insert(
            (*name).to_owned(),
            json!({
                "request": request,
                "samples": done.len(),
                "errors": errors.len(),
                "ready_ms": stats(&sorted(done.iter().map(|(r, _)| ms(*r)))),
                "first_response_ms": stats(&sorted(done.iter().map(|(_, f)| ms(*f)))),
                "handler_ms": stats(&sorted(done.iter().map(|(r, f)| ms(f.saturating_sub(*r))))),
                "error_list": errors,
            }),
        );
        if *name != BASELINE {
            let (ready, first) = medians(name);
            ratio_ready.insert((*name).to_owned(), ratio(ready, base_ready));
            ratio_first.insert((*name).to_owned(), ratio(first, base_first));
        }
    }
    let raw: Vec<Value> = samples
        .iter()
        .map(|s| match &s.result {
            Ok((ready, first, status)) => json!({
                "round": s.round, "binary": s.binary, "ready_ms": ms(*ready),
                "first_response_ms": ms(*first), "status": status,
            }),
            Err(why) => json!({"round": s.round, "binary": s.binary, "error": why}),
        })
        .collect();
    json!({
        "benchmark": "cold-start",
        "method": "each sample spawns the binary against a Lambda Runtime API on 127.0.0.1; \
            ready = first GET /2018-06-01/runtime/invocation/next, first_response = POST of the \
            response to the one event (API Gateway HTTP API payload 2.0), both from the spawn; \
            handler = first_response - ready. Binaries alternate hello-world, f1, hello-world, \
            f2, ... every round. median: middle value (mean of the two middle ones for an even \
            count); p90: nearest rank. Failed samples are counted in `errors` and listed, never \
            used in the numbers.",
        "rounds": cli.rounds,
        "timeout_ms": bench.timeout.as_millis() as u64,
        "bin_dir": bench.bin_dir.display().to_string(),
        "env_file": cli.env_file.display().to_string(),
        "function_env": bench.function_env,
        "company": bench.company,
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "elapsed_s": round_to(elapsed.as_secs_f64(), 1),
        "setup": setup,
        "binaries": binaries,
        "ratio_median_ready_to_hello_world": ratio_ready,
        "ratio_median_first_response_to_hello_world": ratio_first,
        "failed_samples": samples.iter().filter(|s| s.result.is_err()).count(),
        "samples": raw,
    })
}

/// A table for the terminal, from the report.
fn summary(report: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:>7} {:>6} {:>13} {:>10} {:>15} {:>10} {:>7}",
        "binary",
        "samples",
        "errors",
        "ready median",
        "ready p90",
        "1st resp median",
        "1st p90",
        "ratio"
    );
    let Some(binaries) = report.get("binaries").and_then(Value::as_object) else {
        return out;
    };
    let number = |v: Option<&Value>| {
        v.and_then(Value::as_f64)
            .map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"))
    };
    let count = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
    for (name, entry) in binaries {
        let ratio = report
            .pointer(&format!("/ratio_median_ready_to_hello_world/{name}"))
            .and_then(Value::as_f64)
            .map_or_else(|| "-".to_owned(), |x| format!("{x:.2}x"));
        let _ = writeln!(
            out,
            "{:<16} {:>7} {:>6} {:>13} {:>10} {:>15} {:>10} {:>7}",
            name,
            count(entry.get("samples")),
            count(entry.get("errors")),
            number(entry.pointer("/ready_ms/median")),
            number(entry.pointer("/ready_ms/p90")),
            number(entry.pointer("/first_response_ms/median")),
            number(entry.pointer("/first_response_ms/p90")),
            ratio,
        );
    }
    out
}

fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let upper = sorted.get(n / 2).copied()?;
    if n % 2 == 1 {
        Some(upper)
    } else {
        Some((sorted.get(n / 2 - 1).copied()? + upper) / 2.0)
    }
}

/// Nearest rank: the smallest value with at least `q` of the values at or below it.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

fn stats(sorted: &[f64]) -> Value {
    let value = |v: Option<f64>| v.map(|x| round_to(x, 3));
    json!({
        "median": value(median(sorted)),
        "p90": value(percentile(sorted, 0.9)),
        "min": value(sorted.first().copied()),
        "max": value(sorted.last().copied()),
    })
}

fn ratio(value: Option<f64>, base: Option<f64>) -> Value {
    match (value, base) {
        (Some(v), Some(b)) if b > 0.0 => json!(round_to(v / b, 2)),
        _ => Value::Null,
    }
}

fn ms(d: Duration) -> f64 {
    round_to(d.as_secs_f64() * 1000.0, 3)
}

fn round_to(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn lossy(bytes: &[u8]) -> String {
    shorten(&String::from_utf8_lossy(bytes), 600)
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(max).collect();
        format!("{kept}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpStream;

    /// Each function of the route table gets an event here, on one of its own routes: a new
    /// route fails this test until the harness knows how to start its function.
    #[test]
    fn every_function_of_the_route_table_gets_an_event_on_its_route() {
        let bench = Bench {
            bin_dir: PathBuf::new(),
            file_env: BTreeMap::new(),
            function_env: BTreeMap::new(),
            region: "us-east-1".into(),
            memory_size: 256,
            timeout: Duration::from_secs(1),
            token: "t".into(),
            company: "-1".into(),
            tag: "tag".into(),
        };
        let one = vec!["x".to_owned()];
        let fixtures = Fixtures {
            main: "m".into(),
            to_deactivate: one.clone(),
            to_erase: one.clone(),
            to_mail: one,
        };
        for function in idp_core::routes::functions() {
            let scenario = Scenario::new(function, function, 0, &fixtures, &bench).unwrap();
            assert!(
                idp_core::routes::of_function(function)
                    .any(|row| (row.method, row.path) == (scenario.method, scenario.route)),
                "{function}: {} {} is not its route",
                scenario.method,
                scenario.route
            );
        }
    }

    #[test]
    fn median_and_nearest_rank() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), Some(3.0));
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&ten, 0.9), Some(9.0));
        assert_eq!(percentile(&ten[..5], 0.9), Some(5.0));
        assert_eq!(percentile(&[], 0.9), None);
    }

    #[test]
    fn reads_the_env_file_write_env_writes() {
        let env = parse_env_file(
            "AWS_REGION=us-east-1\n\n# comment\nexport A_B='x y'\nURL=http://127.0.0.1:8600\nE=\n",
        )
        .unwrap();
        assert_eq!(env["AWS_REGION"], "us-east-1");
        assert_eq!(env["A_B"], "x y");
        assert_eq!(env["URL"], "http://127.0.0.1:8600");
        assert_eq!(env["E"], "");
        assert!(parse_env_file("no equals sign").is_err());
    }

    #[test]
    fn reads_function_env_by_function() {
        let env = parse_function_env(&[
            "show-profile:MIMALLOC_ALLOW_THP=0".into(),
            "show-profile:A=b=c".into(),
            "login:X=1".into(),
        ])
        .unwrap();
        assert_eq!(env["show-profile"]["MIMALLOC_ALLOW_THP"], "0");
        assert_eq!(env["show-profile"]["A"], "b=c");
        assert_eq!(env["login"]["X"], "1");
        assert!(parse_function_env(&["nobody:A=1".into()]).is_err());
        assert!(parse_function_env(&["show-profile".into()]).is_err());
        assert!(parse_function_env(&["show-profile:novalue".into()]).is_err());
        assert!(parse_env_file("1A=x").is_err());
    }

    #[test]
    fn failed_samples_are_counted_and_listed_not_measured() {
        let cli = Cli::parse_from([
            "cold-start",
            "--env-file",
            "x.env",
            "--token",
            "t",
            "--functions",
            "login",
        ]);
        let bench = Bench {
            bin_dir: PathBuf::from("/bin"),
            file_env: BTreeMap::new(),
            function_env: BTreeMap::new(),
            region: "us-east-1".into(),
            memory_size: 256,
            timeout: Duration::from_secs(1),
            token: "t".into(),
            company: "-1".into(),
            tag: "tag".into(),
        };
        let ok = |round, binary: &str, ready, first| Sample {
            round,
            binary: binary.into(),
            result: Ok((
                Duration::from_millis(ready),
                Duration::from_millis(first),
                200,
            )),
        };
        let samples = [
            ok(0, BASELINE, 2, 3),
            ok(0, "login", 10, 20),
            ok(1, BASELINE, 4, 5),
            Sample {
                round: 1,
                binary: "login".into(),
                result: Err("expected status 400, got 503".into()),
            },
        ];
        let report = build_report(
            &cli,
            &bench,
            &[BASELINE, "login"],
            &samples,
            &BTreeMap::new(),
            Value::Null,
            Duration::from_secs(1),
        );
        assert_eq!(report["failed_samples"], 1);
        assert_eq!(report["binaries"]["login"]["samples"], 1);
        assert_eq!(report["binaries"]["login"]["errors"], 1);
        assert_eq!(report["binaries"]["login"]["error_list"][0]["round"], 1);
        assert_eq!(report["binaries"]["login"]["ready_ms"]["median"], 10.0);
        assert_eq!(report["binaries"][BASELINE]["ready_ms"]["median"], 3.0);
        assert_eq!(report["ratio_median_ready_to_hello_world"]["login"], 3.33);
        assert_eq!(report["samples"].as_array().unwrap().len(), 4);
    }

    /// Reads one HTTP/1.1 response with a Content-Length body off a kept-alive connection.
    fn read_response(reader: &mut BufReader<TcpStream>) -> (u16, Vec<(String, String)>, String) {
        let mut status_line = String::new();
        reader.read_line(&mut status_line).unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.to_ascii_lowercase(), v.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        (status, headers, String::from_utf8(body).unwrap())
    }

    #[tokio::test]
    async fn serves_next_and_takes_the_response_on_one_connection() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (reports, mut inbox) = mpsc::unbounded_channel();
        let invocation = Invocation {
            request_id: "req-1".into(),
            trace_id: "Root=1-0-0".into(),
            event: r#"{"version":"2.0"}"#.into(),
        };
        let api = Arc::new(RuntimeApi {
            pending: Mutex::new(VecDeque::from([invocation])),
            reports,
            function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f".into(),
            timeout: Duration::from_secs(5),
        });
        let server = tokio::spawn(serve(listener, api));
        let client = tokio::task::spawn_blocking(move || {
            let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            writer
                .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let (status, headers, body) = read_response(&mut reader);
            assert_eq!(status, 200);
            assert_eq!(body, r#"{"version":"2.0"}"#);
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap()
            };
            assert_eq!(header("lambda-runtime-aws-request-id"), "req-1");
            assert_eq!(header("lambda-runtime-trace-id"), "Root=1-0-0");
            assert!(header("lambda-runtime-invoked-function-arn").ends_with(":function:f"));
            assert!(header("lambda-runtime-deadline-ms").parse::<u64>().unwrap() > 0);
            let answer = r#"{"statusCode":200,"body":"hello"}"#;
            write!(
                writer,
                "POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\nHost: x\r\n\
                 Content-Length: {}\r\n\r\n{answer}",
                answer.len()
            )
            .unwrap();
            let (status, _, _) = read_response(&mut reader);
            assert_eq!(status, 202);
        });
        client.await.unwrap();
        assert!(matches!(inbox.recv().await, Some(Report::Next { .. })));
        match inbox.recv().await {
            Some(Report::Response {
                request_id, body, ..
            }) => {
                assert_eq!(request_id, "req-1");
                assert_eq!(&body[..], br#"{"statusCode":200,"body":"hello"}"#);
            }
            other => panic!("expected a response, got {other:?}"),
        }
        server.abort();
    }
}
