//! Wall-clock time, read in one place: the store's lockouts, token expiries and creation
//! dates all ask the [`Clock`] the store was built with, so a test can stand the clock still
//! and move it (a lockout's end, a token's expiry) instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The system clock, or a test's [`ManualClock`].
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicU64>>,
}

impl Clock {
    /// The system clock: what every function runs with.
    pub fn system() -> Self {
        Self::default()
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        match &self.manual {
            Some(ms) => ms.load(Ordering::SeqCst),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }

    /// Whole seconds since the Unix epoch.
    pub fn now_seconds(&self) -> u64 {
        self.now_ms() / 1000
    }
}

/// A clock that stands where a test puts it; its [`Clock`]s all read the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// Standing at `ms` milliseconds since the Unix epoch.
    pub fn at_ms(ms: u64) -> Self {
        Self(Arc::new(AtomicU64::new(ms)))
    }

    /// Standing at the system clock's time now.
    pub fn now() -> Self {
        Self::at_ms(Clock::system().now_ms())
    }

    /// A [`Clock`] that reads this one.
    pub fn clock(&self) -> Clock {
        Clock {
            manual: Some(Arc::clone(&self.0)),
        }
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_the_system_clock_runs() {
        let manual = ManualClock::at_ms(1_000_500);
        let clock = manual.clock();
        assert_eq!((clock.now_ms(), clock.now_seconds()), (1_000_500, 1000));
        manual.advance(Duration::from_secs(2));
        assert_eq!(clock.now_ms(), 1_002_500);
        // After 2020-01-01, so not a zero from a failed read.
        assert!(Clock::system().now_ms() > 1_577_836_800_000);
    }
}
