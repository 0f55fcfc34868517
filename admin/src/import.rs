//! `idp-admin import --company ID FILE`: JSON Lines of profiles into a company (API.md §7,
//! README "Import and export").
//!
//! Each line goes through Create's checks and is written in one transaction with its
//! reservations and password hash; lines are read, checked and written a bounded number at a
//! time (`--concurrency`), so memory holds that many lines whatever the file's size. The
//! results come out in line order: the summary, the progress and the rejects file never name
//! a hash.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use idp_core::audit::{Actor, Event, EventType, Trail};
use idp_core::domain::CompanyId;
use idp_core::error::ApiError;
use idp_core::password::{HashParams, Passwords};
use idp_core::rules::import_line::{ImportLine, parse_line};
use idp_core::store::{ImportOutcome, Store, StoreError, Tables};
use idp_core::two_factor::{FactorKey, SealedTotp};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};

use crate::progress::Progress;

/// The longest line read: Create's body limit. A longer one is rejected with Create's 413
/// sentence, unread.
const MAX_LINE_BYTES: usize = idp_core::json_body::MAX_BODY_BYTES;

/// Attempts per line while DynamoDB throttles or is unavailable, with exponential backoff
/// (0.1 s doubling to 10 s, with jitter): about a minute before the import stops.
const WRITE_ATTEMPTS: u32 = 10;

#[derive(Debug)]
pub struct Options {
    pub company: String,
    pub file: PathBuf,
    pub rejects: Option<PathBuf>,
    pub concurrency: usize,
    pub tables: Tables,
}

/// How an import ended; `main` turns it into the exit code (README, "Import and export").
#[derive(Debug, Default)]
pub struct Summary {
    pub imported: u64,
    pub skipped: u64,
    pub rejected: u64,
    pub wrapped: u64,
    pub stopped: Option<String>,
}

enum Outcome {
    Imported {
        wrapped: bool,
    },
    Skipped,
    /// Create's answer (its error envelope), or the hash's reason in the same envelope.
    Rejected(Value),
    /// DynamoDB kept failing: the import stops; a re-run resumes.
    Stopped(String),
}

pub async fn run(options: Options) -> Result<Summary, String> {
    let company = crate::company_id(&options.company)?;
    let (input, total_bytes): (Box<dyn Read + Send>, Option<u64>) =
        if options.file == Path::new("-") {
            (Box::new(std::io::stdin()), None)
        } else {
            let file = File::open(&options.file)
                .map_err(|e| format!("{}: {e}", options.file.display()))?;
            let size = file.metadata().ok().map(|m| m.len());
            (Box::new(file), size)
        };
    let rejects_path = options.rejects.clone().unwrap_or_else(|| {
        if options.file == Path::new("-") {
            PathBuf::from("import-rejects.jsonl")
        } else {
            let mut name = options.file.clone().into_os_string();
            name.push(".rejects.jsonl");
            PathBuf::from(name)
        }
    });
    let (store, config) = crate::store_with_config(&company, options.tables).await?;
    let passwords = Passwords::new(HashParams::from_env()?)?;
    let factor_key = crate::factor_key().await?;
    let mut rejects = BufWriter::new(
        File::create(&rejects_path).map_err(|e| format!("{}: {e}", rejects_path.display()))?,
    );

    let shared = Arc::new(Shared {
        company,
        config,
        store,
        passwords,
        factor_key,
        // Wrapping a weak hash is one argon2id run (19 MiB, tens of ms): at most one per core.
        hashing: Semaphore::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        ),
    });
    let progress = Progress::new("import", total_bytes, std::io::stderr().is_terminal());
    let concurrency = options.concurrency.max(1);
    let lines = read_lines(input, concurrency);
    let mut order = KeyOrder::default();
    let results = lines
        .map(|(number, line)| {
            let bytes = line.as_ref().map_or(0, |l| l.bytes);
            // In line order: parse, and queue behind any earlier line still in flight that
            // claims one of the same keys.
            let checked = check_line(&shared, line);
            let (turn, wait) = match &checked {
                Ok(parsed) => order.claim(&claims(parsed)),
                Err(_) => (None, Vec::new()),
            };
            let shared = Arc::clone(&shared);
            async move {
                for mut earlier in wait {
                    // Ends when the earlier line's writer is done (its sender dropped).
                    while earlier.changed().await.is_ok() {}
                }
                let outcome = match checked {
                    Ok(parsed) => write_line(&shared, parsed).await,
                    Err(outcome) => outcome,
                };
                drop(turn);
                (number, bytes, outcome)
            }
        })
        .buffered(concurrency);
    let mut results = std::pin::pin!(results);

    let mut summary = Summary::default();
    while let Some((number, bytes, outcome)) = results.next().await {
        // Progress counts a line's bytes once its result is in (the reader runs ahead by the
        // channel's depth), so the percentage and the ETA follow what is done.
        progress.add_bytes(bytes);
        match outcome {
            Outcome::Imported { wrapped } => {
                summary.imported += 1;
                summary.wrapped += u64::from(wrapped);
            }
            Outcome::Skipped => summary.skipped += 1,
            Outcome::Rejected(answer) => {
                summary.rejected += 1;
                let mut record = json!({ "line": number });
                if let (Some(record), Value::Object(answer)) = (record.as_object_mut(), answer) {
                    record.extend(answer);
                }
                writeln!(rejects, "{record}")
                    .map_err(|e| format!("{}: {e}", rejects_path.display()))?;
            }
            Outcome::Stopped(cause) => {
                summary.stopped = Some(format!("line {number}: {cause}"));
                break;
            }
        }
        progress.set_counts(summary.imported, summary.skipped, summary.rejected);
    }
    progress.finish();
    rejects
        .flush()
        .map_err(|e| format!("{}: {e}", rejects_path.display()))?;
    let elapsed = progress.elapsed();
    let lines = summary.imported + summary.skipped + summary.rejected;
    println!(
        "import: {} imported, {} skipped (already imported), {} rejected; weak password hashes wrapped in argon2id: {}; {lines} lines in {:.1} s ({:.0} lines/s)",
        summary.imported,
        summary.skipped,
        summary.rejected,
        summary.wrapped,
        elapsed.as_secs_f64(),
        lines as f64 / elapsed.as_secs_f64().max(0.001),
    );
    if summary.rejected > 0 {
        println!(
            "import: rejected lines (number, status, reason): {}",
            rejects_path.display()
        );
    }
    Ok(summary)
}

struct Shared {
    company: CompanyId,
    config: idp_core::company::CompanyConfig,
    store: Store,
    passwords: Passwords,
    /// The functions' second-factor key, to seal the TOTP secrets lines bring.
    factor_key: Option<FactorKey>,
    hashing: Semaphore,
}

/// The event of a change `idp-admin` makes: its actor is the tool and the command (there is
/// no access token, no caller IP and no Lambda request).
pub(crate) fn operator_event(
    kind: EventType,
    profile: idp_core::domain::ProfileId,
    config: &idp_core::company::CompanyConfig,
    command: &str,
) -> Event {
    let actor = Actor {
        client: Some(format!("idp-admin {command}")),
        source_ip: None,
        request_id: None,
    };
    let trail = Trail {
        actor,
        retention_days: config.audit.retention_days,
    };
    Event::success(kind, profile, &trail)
}

/// Create's checks on one line; an `Err` is the line's outcome already.
fn check_line(shared: &Shared, line: std::io::Result<RawLine>) -> Result<ImportLine, Outcome> {
    let line = line.map_err(|e| Outcome::Stopped(format!("reading the input: {e}")))?;
    if line.too_long {
        return Err(rejected(&ApiError::payload_too_large(
            idp_core::Resource::Profile,
            format!("Request body is larger than {MAX_LINE_BYTES} bytes"),
        )));
    }
    parse_line(&shared.company, &shared.config, &line.text).map_err(|error| rejected(&error))
}

/// What a line's transaction takes in its company: its uuid and its identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Claim {
    Profile(idp_core::domain::ProfileId),
    Identifier(idp_core::company::Identifier),
}

fn claims(parsed: &ImportLine) -> Vec<Claim> {
    let profile = &parsed.profile;
    let mut claims: Vec<Claim> = profile
        .identifiers
        .iter()
        .cloned()
        .map(Claim::Identifier)
        .collect();
    claims.push(Claim::Profile(profile.id));
    claims
}

/// Which in-flight line last claimed each uuid or identifier. Lines sharing an identifier (or a uuid) are
/// written one after the other in file order, so the earlier line is the one imported and the
/// later one is rejected, the same on every run, while lines that share nothing run in
/// parallel. Entries of finished lines are dropped as it goes, so it holds about the lines in
/// flight.
#[derive(Default)]
struct KeyOrder {
    last: HashMap<Claim, watch::Receiver<()>>,
}

impl KeyOrder {
    /// This line's turn (held until its write is done) and the earlier lines to wait for.
    fn claim(&mut self, claims: &[Claim]) -> (Option<watch::Sender<()>>, Vec<watch::Receiver<()>>) {
        if self.last.len() > 4096 {
            // A receiver whose sender is gone belongs to a finished line.
            self.last.retain(|_, earlier| earlier.has_changed().is_ok());
        }
        let (turn, mine) = watch::channel(());
        let mut wait = Vec::new();
        for claim in claims {
            if let Some(earlier) = self.last.insert(claim.clone(), mine.clone())
                && earlier.has_changed().is_ok()
            {
                wait.push(earlier);
            }
        }
        (Some(turn), wait)
    }
}

/// The hash's checks and the transaction of a line that passed Create's checks.
async fn write_line(shared: &Shared, parsed: ImportLine) -> Outcome {
    let mut wrapped = false;
    let stored_hash = match parsed.password_hash.as_deref() {
        None => None,
        Some(hash) => {
            let Ok(_permit) = shared.hashing.acquire().await else {
                return Outcome::Stopped("hashing closed".into());
            };
            match shared.passwords.prepare_import(hash).await {
                Ok(prepared) => {
                    wrapped = prepared.wrapped;
                    Some(prepared.stored)
                }
                Err(reason) => {
                    return rejected(&ApiError::bad_request(
                        idp_core::Resource::Profile,
                        reason.to_string(),
                    ));
                }
            }
        }
    };
    let sealed = match (&parsed.totp, &shared.factor_key) {
        (None, _) => None,
        (Some(_), None) => return Outcome::Stopped(crate::NO_FACTOR_KEY.into()),
        (Some(totp), Some(key)) => {
            match SealedTotp::seal(totp, key, &shared.company, parsed.profile.id) {
                Ok(sealed) => Some(sealed),
                Err(cause) => return Outcome::Stopped(cause),
            }
        }
    };
    let mut attempt = 0;
    loop {
        match shared
            .store
            .import_profile(
                &parsed.profile,
                stored_hash.as_deref(),
                sealed.as_ref(),
                &operator_event(
                    EventType::ProfileImported,
                    parsed.profile.id,
                    &shared.config,
                    "import",
                ),
            )
            .await
        {
            Ok(ImportOutcome::Imported) => return Outcome::Imported { wrapped },
            Ok(ImportOutcome::AlreadyImported) => return Outcome::Skipped,
            Ok(ImportOutcome::IdentifierTaken) => {
                return rejected(&ApiError::bad_request(
                    idp_core::Resource::Profile,
                    idp_core::rules::registration::ALREADY_PRESENT,
                ));
            }
            Err(StoreError::Unavailable(_)) if attempt + 1 < WRITE_ATTEMPTS => {
                attempt += 1;
                backoff(attempt).await;
            }
            Err(error) => return Outcome::Stopped(error.to_string()),
        }
    }
}

/// Exponential backoff with jitter: 100 ms doubling up to 10 s, each wait between half and
/// all of it, so writers throttled together do not come back together.
async fn backoff(attempt: u32) {
    let cap = (100u64 << attempt.min(7)).min(10_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(cap / 2 + nanos % (cap / 2).max(1))).await;
}

fn rejected(error: &ApiError) -> Outcome {
    Outcome::Rejected(error.body())
}

/// The input's lines, read on a thread of their own (a slow pipe never holds up the writes in
/// flight) into a channel of a few times the concurrency: memory stays flat.
fn read_lines(
    input: Box<dyn Read + Send>,
    concurrency: usize,
) -> impl futures::Stream<Item = (u64, std::io::Result<RawLine>)> {
    let (sender, receiver) = tokio::sync::mpsc::channel(concurrency * 4);
    std::thread::spawn(move || {
        for (number, line) in Lines::new(BufReader::with_capacity(256 * 1024, input)) {
            if sender.blocking_send((number, line)).is_err() {
                // The import stopped; nothing more to read.
                return;
            }
        }
    });
    futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

/// One input line: its bytes without the newline, and how many bytes it took in the input.
struct RawLine {
    text: Vec<u8>,
    bytes: u64,
    too_long: bool,
}

/// The input's non-blank lines with their 1-based numbers; a line over [`MAX_LINE_BYTES`] is
/// skipped over in chunks, never held whole.
struct Lines<R> {
    reader: R,
    number: u64,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Self {
        Self {
            reader,
            number: 0,
            done: false,
        }
    }

    fn read_one(&mut self) -> std::io::Result<Option<RawLine>> {
        let mut text = Vec::new();
        let read = (&mut self.reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut text)?;
        if read == 0 {
            return Ok(None);
        }
        let mut bytes = read as u64;
        let mut too_long = false;
        if text.last() == Some(&b'\n') {
            text.pop();
        } else if text.len() > MAX_LINE_BYTES {
            too_long = true;
            text.clear();
            // The rest of the line, discarded as it is read.
            loop {
                let chunk = self.reader.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                match chunk.iter().position(|b| *b == b'\n') {
                    Some(end) => {
                        self.reader.consume(end + 1);
                        bytes += end as u64 + 1;
                        break;
                    }
                    None => {
                        let len = chunk.len();
                        self.reader.consume(len);
                        bytes += len as u64;
                    }
                }
            }
        }
        if text.last() == Some(&b'\r') {
            text.pop();
        }
        Ok(Some(RawLine {
            text,
            bytes,
            too_long,
        }))
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = (u64, std::io::Result<RawLine>);

    fn next(&mut self) -> Option<Self::Item> {
        // Bytes of blank lines skipped on the way, counted with the next line's.
        let mut skipped = 0;
        while !self.done {
            self.number += 1;
            match self.read_one() {
                Ok(None) => self.done = true,
                Ok(Some(line)) if !line.too_long && line.text.trim_ascii().is_empty() => {
                    skipped += line.bytes;
                }
                Ok(Some(mut line)) => {
                    line.bytes += skipped;
                    return Some((self.number, Ok(line)));
                }
                Err(e) => {
                    self.done = true;
                    return Some((self.number, Err(e)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(u64, Vec<u8>, bool)> {
        Lines::new(BufReader::with_capacity(16, input))
            .map(|(n, l)| {
                let l = l.unwrap();
                (n, l.text, l.too_long)
            })
            .collect()
    }

    #[tokio::test]
    async fn a_line_waits_only_for_earlier_lines_sharing_a_key() {
        let mut order = KeyOrder::default();
        let key = |field: &str, value: &str| {
            let set = idp_core::company::IdentifierSet(vec![field.parse().unwrap()]);
            let attributes = idp_core::domain::ProfileAttributes::parse(
                serde_json::json!({ field: value }).as_object().unwrap(),
            )
            .unwrap();
            Claim::Identifier(idp_core::company::Identifier::of(&set, &attributes).unwrap())
        };
        let (first, wait) = order.claim(&[key("email", "a@x.com"), key("nin", "1")]);
        assert!(wait.is_empty());
        let (_other, wait) = order.claim(&[key("email", "b@x.com")]);
        assert!(wait.is_empty(), "nothing shared: no wait");
        let (_second, mut wait) = order.claim(&[key("nin", "1")]);
        assert_eq!(wait.len(), 1);
        let mut earlier = wait.pop().unwrap();
        let waiting = tokio::spawn(async move { while earlier.changed().await.is_ok() {} });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "the first line is still in flight");
        drop(first);
        waiting.await.unwrap();
    }

    #[test]
    fn numbers_lines_skips_blank_ones_and_cuts_long_ones_unread() {
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        let mut input = b"{\"a\":1}\n\n  \r\n{\"b\":2}\r\n".to_vec();
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\n{\"c\":3}");
        let got = lines(&input);
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], (1, b"{\"a\":1}".to_vec(), false));
        assert_eq!(got[1], (4, b"{\"b\":2}".to_vec(), false));
        assert_eq!(got[2], (5, Vec::new(), true));
        assert_eq!(got[3], (6, b"{\"c\":3}".to_vec(), false));
    }
}
