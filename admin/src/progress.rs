//! Progress of a long operator command on standard error: a bar with rate and ETA on a
//! terminal (indicatif), otherwise one plain line every few seconds, for logs and CI.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a plain progress line is written when standard error is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    what: &'static str,
    bar: Option<ProgressBar>,
    total_bytes: Option<u64>,
    bytes: AtomicU64,
    counts: [AtomicU64; 3],
    started: Instant,
    last_plain: std::sync::Mutex<Instant>,
}

impl Progress {
    /// `total_bytes` is the input's size when known (a file; not standard input).
    pub fn new(what: &'static str, total_bytes: Option<u64>, terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = match total_bytes {
                Some(total) => ProgressBar::new(total),
                None => ProgressBar::new_spinner(),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
            let template = if total_bytes.is_some() {
                "{prefix} [{bar:30}] {percent}% {binary_bytes}/{binary_total_bytes} eta {eta} {msg}"
            } else {
                // No size to go by (standard input, an export): the counts and their rate.
                "{prefix} {spinner} {elapsed} {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(what);
            bar
        });
        Self {
            inner: Arc::new(Inner {
                what,
                bar,
                total_bytes,
                bytes: AtomicU64::new(0),
                counts: Default::default(),
                started: Instant::now(),
                last_plain: std::sync::Mutex::new(Instant::now()),
            }),
        }
    }

    /// Input consumed: bytes of an import's file (the bar's position, and its ETA).
    pub fn add_bytes(&self, bytes: u64) {
        let inner = &self.inner;
        let done = inner.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if let Some(bar) = &inner.bar {
            bar.set_position(done);
        }
    }

    /// The three counts shown beside the bar (import: imported, skipped, rejected; export:
    /// profiles, with a password, 0).
    pub fn set_counts(&self, a: u64, b: u64, c: u64) {
        let inner = &self.inner;
        for (slot, value) in inner.counts.iter().zip([a, b, c]) {
            slot.store(value, Ordering::Relaxed);
        }
        match &inner.bar {
            Some(bar) => bar.set_message(self.counts_text()),
            None => self.maybe_plain_line(),
        }
    }

    fn counts_text(&self) -> String {
        let [a, b, c] = self.counts();
        let rate = (a + b + c) as f64 / self.inner.started.elapsed().as_secs_f64().max(0.001);
        match self.inner.what {
            "import" => format!("imported {a} skipped {b} rejected {c} ({rate:.0} lines/s)"),
            _ => format!("profiles {a}, with a password hash {b} ({rate:.0} profiles/s)"),
        }
    }

    fn counts(&self) -> [u64; 3] {
        let c = &self.inner.counts;
        [
            c[0].load(Ordering::Relaxed),
            c[1].load(Ordering::Relaxed),
            c[2].load(Ordering::Relaxed),
        ]
    }

    fn maybe_plain_line(&self) {
        let inner = &self.inner;
        let Ok(mut last) = inner.last_plain.lock() else {
            return;
        };
        if last.elapsed() < PLAIN_EVERY {
            return;
        }
        *last = Instant::now();
        let elapsed = inner.started.elapsed().as_secs_f64().max(0.001);
        let bytes = inner.bytes.load(Ordering::Relaxed);
        let eta = inner
            .total_bytes
            .filter(|total| bytes > 0 && *total >= bytes)
            .map(|total| {
                let seconds = (total - bytes) as f64 * elapsed / bytes as f64;
                format!(
                    ", {:.0}% done, eta {seconds:.0} s",
                    100.0 * bytes as f64 / total as f64
                )
            })
            .unwrap_or_default();
        eprintln!("{}: {}{eta}", inner.what, self.counts_text());
    }

    pub fn elapsed(&self) -> Duration {
        self.inner.started.elapsed()
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.inner.bar {
            bar.finish_and_clear();
        }
    }
}
