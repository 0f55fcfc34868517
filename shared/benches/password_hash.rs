//! Time of one argon2id hash and one verification through the project's own code path
//! (`Passwords`, which runs each on a blocking thread); the same hash by the C reference
//! implementation (Debian's `argon2` command), alternated with ours in one run; and the pure
//! verification rate on every core, which is the ceiling for login throughput.
//!
//! `cargo bench -p idp-core --bench password_hash` (release profile). Prints markdown; with
//! `BENCH_JSON=path` also writes the figures as JSON for `make bench`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use idp_core::password::{HashParams, Password, Passwords, Verification};
use serde_json::{Value, json};

const RUNS: usize = 21;
const PASSWORD: &str = "lantern orbit meadow 7";
const RATE_SECONDS: u64 = 8;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// CPU time of the calling thread, from the scheduler's own accounting (no `unsafe` needed).
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    let nanos: u64 = text.split_whitespace().next().unwrap().parse().unwrap();
    Duration::from_nanos(nanos)
}

#[derive(Debug)]
struct Reference {
    /// Wall time of the whole `argon2` process minus that of a near-empty hash (m=8 KiB,
    /// t=1): the hash without process start-up.
    wall_ms: f64,
    /// What the command itself reports: `clock()` around the hash, i.e. CPU time.
    cpu_ms: f64,
}

/// One hash by the C reference implementation's command-line tool.
fn reference_hash(params: HashParams) -> Reference {
    let run = |memory_kib: u32, iterations: u32| -> (Duration, f64) {
        let started = Instant::now();
        let mut child = Command::new("argon2")
            .args(["somesaltsomesalt", "-id", "-t", &iterations.to_string()])
            .args([
                "-k",
                &memory_kib.to_string(),
                "-p",
                &params.parallelism.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the C reference `argon2` (Debian package argon2) is not installed");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(PASSWORD.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let wall = started.elapsed();
        assert!(output.status.success(), "argon2 failed");
        let text = String::from_utf8_lossy(&output.stdout);
        let seconds: f64 = text
            .lines()
            .find_map(|line| line.strip_suffix(" seconds"))
            .and_then(|s| s.trim().parse().ok())
            .expect("argon2 printed no time");
        (wall, seconds * 1000.0)
    };
    let (empty, _) = run(8, 1);
    let (wall, cpu_ms) = run(params.memory_kib, params.iterations);
    Reference {
        wall_ms: ms(wall.saturating_sub(empty)),
        cpu_ms,
    }
}

/// The same hash as `Passwords::hash`, on this thread, so its CPU time can be read.
fn own_hash_cpu(params: HashParams) -> f64 {
    let argon2 = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .unwrap(),
    );
    let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").unwrap();
    let started = thread_cpu();
    argon2.hash_password(PASSWORD.as_bytes(), &salt).unwrap();
    ms(thread_cpu() - started)
}

async fn parameter_sets() -> Vec<Value> {
    let sets = [
        (
            "OWASP minimum (default: m=19 MiB, t=2, p=1)",
            HashParams::OWASP_MINIMUM,
        ),
        (
            "m=46 MiB, t=1, p=1",
            HashParams {
                memory_kib: 46 * 1024,
                iterations: 1,
                parallelism: 1,
            },
        ),
        (
            "m=64 MiB, t=3, p=1",
            HashParams {
                memory_kib: 64 * 1024,
                iterations: 3,
                parallelism: 1,
            },
        ),
    ];
    println!("| parameters | hash median (ms) | hash min (ms) | verify median (ms) |");
    println!("|---|---|---|---|");
    let mut rows = Vec::new();
    for (name, params) in sets {
        let passwords = Passwords::new(params).unwrap();
        let password = Password::new(PASSWORD);
        let mut hashes = Vec::new();
        let mut phc = String::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            phc = passwords.hash(&password).await.unwrap();
            hashes.push(ms(started.elapsed()));
        }
        let mut verifies = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            passwords.verify(&password, &phc).await.unwrap();
            verifies.push(ms(started.elapsed()));
        }
        let hash_min = hashes.iter().copied().fold(f64::INFINITY, f64::min);
        let (hash_median, verify_median) = (median(hashes), median(verifies));
        println!("| {name} | {hash_median:.1} | {hash_min:.1} | {verify_median:.1} |");
        rows.push(json!({
            "parameters": name, "hash_median_ms": hash_median, "hash_min_ms": hash_min,
            "verify_median_ms": verify_median,
        }));
    }
    rows
}

/// Ours and the C reference alternated, so both see the same machine load.
async fn against_reference(params: HashParams) -> Value {
    let passwords = Passwords::new(params).unwrap();
    let password = Password::new(PASSWORD);
    let (mut own_wall, mut own_cpu, mut ref_wall, mut ref_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let reference = reference_hash(params);
        ref_wall.push(reference.wall_ms);
        ref_cpu.push(reference.cpu_ms);
        let started = Instant::now();
        passwords.hash(&password).await.unwrap();
        own_wall.push(ms(started.elapsed()));
        own_cpu.push(own_hash_cpu(params));
    }
    let figures = json!({
        "runs": RUNS,
        "own_wall_median_ms": median(own_wall),
        "own_cpu_median_ms": median(own_cpu),
        "reference_wall_median_ms": median(ref_wall),
        "reference_cpu_median_ms": median(ref_cpu),
    });
    let ratio = |a: &str, b: &str| figures[a].as_f64().unwrap() / figures[b].as_f64().unwrap();
    let wall_ratio = ratio("own_wall_median_ms", "reference_wall_median_ms");
    let cpu_ratio = ratio("own_cpu_median_ms", "reference_cpu_median_ms");
    println!();
    println!(
        "| argon2id m={} KiB t={} p={} | ours (Passwords::hash) | C reference (`argon2`) | ratio |",
        params.memory_kib, params.iterations, params.parallelism
    );
    println!("|---|---|---|---|");
    println!(
        "| wall median (ms) | {:.1} | {:.1} | {wall_ratio:.2} |",
        figures["own_wall_median_ms"], figures["reference_wall_median_ms"]
    );
    println!(
        "| CPU median (ms) | {:.1} | {:.1} | {cpu_ratio:.2} |",
        figures["own_cpu_median_ms"], figures["reference_cpu_median_ms"]
    );
    let mut figures = figures;
    figures["wall_ratio"] = json!(wall_ratio);
    figures["cpu_ratio"] = json!(cpu_ratio);
    figures
}

/// Verifications per second with one verification in flight per core: the most logins per
/// second these cores could ever serve.
async fn verification_rate(params: HashParams) -> Value {
    let passwords = std::sync::Arc::new(Passwords::new(params).unwrap());
    let password = Password::new(PASSWORD);
    let phc = passwords.hash(&password).await.unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let deadline = Instant::now() + Duration::from_secs(RATE_SECONDS);
    let started = Instant::now();
    let workers: Vec<_> = (0..cores)
        .map(|_| {
            let (passwords, password, phc) = (passwords.clone(), password.clone(), phc.clone());
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < deadline {
                    let verdict = passwords.verify(&password, &phc).await.unwrap();
                    assert!(matches!(verdict, Verification::Match { rehash: None }));
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for worker in workers {
        total += worker.await.unwrap();
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    println!();
    println!(
        "verification rate: {rate:.1}/s with {cores} in flight on {cores} cores ({total} in {RATE_SECONDS} s)"
    );
    json!({"cores": cores, "seconds": RATE_SECONDS, "verifications": total, "per_second": rate})
}

#[tokio::main]
async fn main() {
    let params = HashParams::OWASP_MINIMUM;
    // `BENCH_RATE_ONLY=1`: the verification rate alone, taken right before and right after the
    // login throughput run (`scripts/bench-throughput.sh`) so that its ratio's denominator is
    // of the same minutes as its numerator.
    if std::env::var_os("BENCH_RATE_ONLY").is_some() {
        let rate = verification_rate(params).await;
        if let Ok(path) = std::env::var("BENCH_JSON") {
            let report = json!({"verification_rate": rate});
            std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
        }
        return;
    }
    let sets = parameter_sets().await;
    let reference = against_reference(params).await;
    let rate = verification_rate(params).await;
    if let Ok(path) = std::env::var("BENCH_JSON") {
        let report = json!({
            "parameters": {"memory_kib": params.memory_kib, "iterations": params.iterations,
                           "parallelism": params.parallelism},
            "sets": sets, "reference": reference, "verification_rate": rate,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    }
}
