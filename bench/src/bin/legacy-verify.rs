//! Login cost of each imported hash family (`make bench`, step "import").
//!
//! For each vector of tests/vectors/make_vectors.py (independent implementations, random
//! salts): what import stores for it (`Passwords::prepare_import`: kept, or wrapped in
//! argon2id), then the first login's verification against that (the legacy check plus the
//! argon2id hash that replaces it) and the next login's (argon2id at the configured cost),
//! beside the reference: a native argon2id hash verified. Medians of `--samples` runs, in
//! process, one at a time.
//!
//! Usage: legacy-verify --vectors vectors.json [--samples 5]

use std::time::Instant;

use clap::Parser;
use idp_core::password::{HashParams, Password, Passwords, Verification};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long)]
    vectors: std::path::PathBuf,
    #[arg(long, default_value_t = 5)]
    samples: usize,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

async fn time_ms<F: Future<Output = Result<Verification, String>>>(
    samples: usize,
    mut run: impl FnMut() -> F,
) -> Result<(f64, Verification), String> {
    let mut times = Vec::new();
    let mut last = Verification::Mismatch;
    for _ in 0..samples.max(1) {
        let started = Instant::now();
        last = run().await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((median(times), last))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let passwords = Passwords::new(HashParams::from_env()?)?;
    let text = std::fs::read_to_string(&args.vectors).map_err(|e| e.to_string())?;
    let vectors: Vec<Value> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();

    let reference = Password::new("correct horse battery staple");
    let native = passwords.hash(&reference).await?;
    let (reference_ms, _) = time_ms(args.samples, || passwords.verify(&reference, &native)).await?;

    for vector in &vectors {
        let format = vector["format"].as_str().unwrap_or_default();
        let password = Password::new(vector["password"].as_str().unwrap_or_default());
        let hash = vector["hash"].as_str().unwrap_or_default();
        let prepared = passwords
            .prepare_import(hash)
            .await
            .map_err(|e| format!("{format}: {e}"))?;
        let (first_ms, first) = time_ms(args.samples, || {
            passwords.verify(&password, &prepared.stored)
        })
        .await?;
        let upgraded = match first {
            Verification::Match { rehash: Some(new) } => new,
            Verification::Match { rehash: None } => prepared.stored.clone(),
            Verification::Mismatch => return Err(format!("{format}: the right password failed")),
        };
        let (upgraded_ms, _) =
            time_ms(args.samples, || passwords.verify(&password, &upgraded)).await?;
        rows.push(json!({
            "format": format, "source": vector["source"], "wrapped": prepared.wrapped,
            "first_ms": first_ms, "upgraded_ms": upgraded_ms,
        }));
    }
    println!(
        "{}",
        json!({"reference_ms": reference_ms, "params": format!("{:?}", passwords.params()),
               "samples": args.samples, "formats": rows})
    );
    Ok(())
}
