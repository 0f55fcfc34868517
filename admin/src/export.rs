//! `idp-admin export --company ID [--output FILE]`: every profile of a company as the JSON
//! Lines `import` reads, password hashes included (API.md §7).
//!
//! Streamed: one listing shard at a time, a page of at most 100 profiles in memory, each line
//! written as soon as its page is read. The output holds password hashes, so a file is created
//! readable by its owner only; the progress and the summary count, never show, them.

use std::fs::OpenOptions;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use idp_core::rules::import_line::export_line;
use idp_core::store::{Store, Tables, export_shards};

use crate::progress::Progress;

#[derive(Debug)]
pub struct Options {
    pub company: String,
    pub output: Option<PathBuf>,
    pub tables: Tables,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub profiles: u64,
    pub with_hash: u64,
    pub with_totp: u64,
}

fn profile_id(raw: &str) -> Result<idp_core::domain::ProfileId, String> {
    idp_core::domain::ProfileId::parse(raw)
        .ok_or_else(|| format!("a profile with the uuid `{raw}`"))
}

pub async fn run(options: Options) -> Result<Summary, String> {
    let company = crate::company_id(&options.company)?;
    let mut out: Box<dyn Write> = match &options.output {
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
        Some(path) => {
            let mut open = OpenOptions::new();
            open.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                open.mode(0o600);
            }
            let file = open
                .open(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            // `mode` applies only to a new file: an existing one is narrowed too.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            Box::new(BufWriter::new(file))
        }
    };
    let store = Store::new(
        idp_core::store::bulk_dynamodb_client().await,
        options.tables,
    );
    let factor_key = crate::factor_key().await?;
    let progress = Progress::new("export", None, std::io::stderr().is_terminal());
    let mut summary = Summary::default();
    let write_failed = |e: std::io::Error| format!("writing the export: {e}");
    for shard in export_shards() {
        let mut position = None;
        loop {
            let (page, next) = store
                .export_page(&company, shard, position)
                .await
                .map_err(|e| format!("reading shard {shard}: {e}"))?;
            for items in &page {
                // The TOTP goes out in the clear, as the importing service needs it: the file
                // is the owner's only, as it is for the password hashes.
                let totp = match (&items.totp, &factor_key) {
                    (None, _) => None,
                    (Some(_), None) => return Err(crate::NO_FACTOR_KEY.into()),
                    (Some(sealed), Some(key)) => {
                        Some(sealed.open(key, &company, profile_id(&items.id)?)?)
                    }
                };
                let line = export_line(items, totp.as_ref());
                serde_json::to_writer(&mut out, &line)
                    .map_err(|e| format!("writing the export: {e}"))?;
                out.write_all(b"\n").map_err(write_failed)?;
                summary.profiles += 1;
                summary.with_hash += u64::from(items.password_hash.is_some());
                summary.with_totp += u64::from(items.totp.is_some());
            }
            progress.set_counts(summary.profiles, summary.with_hash, 0);
            position = next;
            if position.is_none() {
                break;
            }
        }
    }
    out.flush().map_err(write_failed)?;
    progress.finish();
    let elapsed = progress.elapsed().as_secs_f64();
    eprintln!(
        "export: {} profiles of company {company} ({} with a password hash) in {elapsed:.1} s ({:.0} profiles/s)",
        summary.profiles,
        summary.with_hash,
        summary.profiles as f64 / elapsed.max(0.001),
    );
    Ok(summary)
}
