use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::Claims;

/// What a warm instance remembers about tokens, for at most a TTL each, in bounded memory.
/// Keys are SHA-256 digests, so the instance never holds a usable token in its cache.
#[derive(Debug)]
pub struct TokenCache<V = Claims> {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (V, Instant)>>,
}

const MAX_ENTRIES: usize = 10_000;

impl<V: Clone> TokenCache<V> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, token: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (value, until) = entries.get(&digest(token))?;
        (*until > Instant::now()).then(|| value.clone())
    }

    /// Remembers `value` for the cache's TTL, or less when the token expires sooner.
    pub fn put(&self, token: &str, value: &V, expires_in: Option<Duration>) {
        let ttl = expires_in.map_or(self.ttl, |left| left.min(self.ttl));
        if ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                let now = Instant::now();
                entries.retain(|_, (_, until)| *until > now);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(digest(token), (value.clone(), Instant::now() + ttl));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

/// Tokens the issuer refused, remembered for a few seconds: a client (or a flood) repeating a
/// bad token costs one introspection call per window, not one per request. A token cannot
/// turn valid after it was refused, so the only cost of remembering is the memory.
#[derive(Debug)]
pub struct RefusedTokens(TokenCache<()>);

impl RefusedTokens {
    pub fn new(ttl: Duration) -> Self {
        Self(TokenCache::new(ttl))
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.get(token).is_some()
    }

    pub fn put(&self, token: &str) {
        self.0.put(token, &(), None);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.len()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            company_uid: Some("1".into()),
            scopes: vec![],
            client: None,
        }
    }

    #[test]
    fn honours_the_shorter_of_ttl_and_expiry() {
        let cache = TokenCache::new(Duration::from_secs(30));
        cache.put("a", &claims(), Some(Duration::ZERO));
        assert_eq!(cache.get("a"), None);
        cache.put("b", &claims(), Some(Duration::from_secs(100)));
        assert_eq!(cache.get("b"), Some(claims()));
        assert_eq!(cache.get("c"), None);
    }

    #[test]
    fn refused_tokens_are_remembered_briefly_and_in_bounded_memory() {
        let refused = RefusedTokens::new(Duration::from_millis(50));
        refused.put("bad");
        assert!(refused.contains("bad"));
        assert!(!refused.contains("other"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!refused.contains("bad"), "forgotten after the window");
        for i in 0..(MAX_ENTRIES + 10) {
            refused.put(&format!("flood-{i}"));
        }
        assert!(refused.len() <= MAX_ENTRIES);
        assert!(!RefusedTokens::new(Duration::ZERO).contains("x"));
    }
}
