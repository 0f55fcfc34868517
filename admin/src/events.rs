//! `idp-admin events --company ID [--from] [--until] [--type] [--output FILE]`: a company's
//! audit trail as JSON Lines, newest first, for a SIEM (API.md §5.14's events, the same JSON).
//!
//! Streamed: a page of at most 100 events in memory, each line written as soon as its page is
//! read, the next page asked below the last event written; the cost is the company-events
//! index's pages, never a scan.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use idp_core::audit::{event_json, type_filter};
use idp_core::domain::{BoundSide, parse_date_bound};
use idp_core::store::{EventFilter, Store, Tables};

/// Events per page read.
const PAGE: usize = 100;

#[derive(Debug)]
pub struct Options {
    pub company: String,
    pub from: Option<String>,
    pub until: Option<String>,
    pub kind: Option<String>,
    pub output: Option<PathBuf>,
    pub tables: Tables,
}

/// Writes the events; returns how many.
pub async fn run(options: Options) -> Result<u64, String> {
    let company = crate::company_id(&options.company)?;
    let bound = |raw: &Option<String>, name: &str, side| {
        raw.as_deref()
            .map(|raw| parse_date_bound(raw, side).map_err(|why| format!("--{name} {why}")))
            .transpose()
    };
    let filter = EventFilter {
        from_ms: bound(&options.from, "from", BoundSide::From)?,
        until_ms: bound(&options.until, "until", BoundSide::Until)?,
        type_prefix: options
            .kind
            .as_deref()
            .map(|raw| {
                type_filter(raw).ok_or_else(|| {
                    format!("--type `{raw}`: an event type (login.failed) or a family (login.)")
                })
            })
            .transpose()?,
    };
    let mut out: Box<dyn Write> = match &options.output {
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
    };
    let store = Store::new(
        idp_core::store::bulk_dynamodb_client().await,
        options.tables,
    );
    let failed = |e: std::io::Error| format!("writing the events: {e}");
    let mut before: Option<String> = None;
    let mut written = 0u64;
    loop {
        let page = store
            .company_events(&company, &filter, before.as_deref(), PAGE)
            .await
            .map_err(|e| format!("reading the events: {e}"))?;
        for event in &page.events {
            serde_json::to_writer(&mut out, &event_json(event)).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(failed)?;
            written += 1;
        }
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    out.flush().map_err(failed)?;
    eprintln!("events: {written} events of company {company}");
    Ok(written)
}
