//! Time of one argon2id hash and one verification at the configured parameters, through the
//! project's own code path (`Passwords`, which runs each on a blocking thread).
//!
//! `cargo bench -p idp-core --bench password_hash` (release profile). Prints the median and the
//! fastest of N runs per parameter set; the numbers are recorded in docs/benchmarks.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use idp_core::password::{HashParams, Password, Passwords};

const RUNS: usize = 21;

fn summary(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(samples[samples.len() / 2]), ms(samples[0]))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let sets = [
        ("OWASP minimum (default)", HashParams::OWASP_MINIMUM),
        (
            "m=46 MiB, t=1",
            HashParams {
                memory_kib: 46 * 1024,
                iterations: 1,
                parallelism: 1,
            },
        ),
        (
            "m=64 MiB, t=3",
            HashParams {
                memory_kib: 64 * 1024,
                iterations: 3,
                parallelism: 1,
            },
        ),
    ];
    println!("| parameters | hash median (ms) | hash min (ms) | verify median (ms) |");
    println!("|---|---|---|---|");
    for (name, params) in sets {
        let passwords = Passwords::new(params).unwrap();
        let password = Password::new("lantern orbit meadow 7");
        let mut hashes = Vec::new();
        let mut phc = String::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            phc = passwords.hash(&password).await.unwrap();
            hashes.push(started.elapsed());
        }
        let mut verifies = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            passwords.verify(&password, &phc).await.unwrap();
            verifies.push(started.elapsed());
        }
        let (hash_median, hash_min) = summary(hashes);
        let (verify_median, _) = summary(verifies);
        println!("| {name} | {hash_median:.1} | {hash_min:.1} | {verify_median:.1} |");
    }
}
