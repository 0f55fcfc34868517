use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::CompanyConfig;

/// Company configurations kept for a short time by a warm function instance, so a burst of
/// requests for one company costs one DynamoDB read. Unknown companies are not remembered: a
/// company loaded by an operator is served at once.
#[derive(Debug)]
pub struct CompanyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Arc<CompanyConfig>, Instant)>>,
}

/// Bounds memory if a function instance sees many companies.
const MAX_ENTRIES: usize = 1024;

impl CompanyCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub async fn get_or_load<F, Fut, E>(
        &self,
        company_id: &str,
        load: F,
    ) -> Result<Option<Arc<CompanyConfig>>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<CompanyConfig>, E>>,
    {
        if let Some(hit) = self.fresh(company_id) {
            return Ok(Some(hit));
        }
        let Some(config) = load().await? else {
            return Ok(None);
        };
        let config = Arc::new(config);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                let now = Instant::now();
                entries.retain(|_, (_, expires)| *expires > now);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(
                company_id.to_owned(),
                (Arc::clone(&config), Instant::now() + self.ttl),
            );
        }
        Ok(Some(config))
    }

    fn fresh(&self, company_id: &str) -> Option<Arc<CompanyConfig>> {
        let entries = self.entries.lock().ok()?;
        let (config, expires) = entries.get(company_id)?;
        (*expires > Instant::now()).then(|| Arc::clone(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn config() -> CompanyConfig {
        CompanyConfig::from_value(serde_json::json!({
            "company_id": "7",
            "identifier_sets": [["email"]],
            "information_providers": ["p"],
            "register_types": {"r": {"required": [], "allowed": ["email"]}}
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn loads_once_within_ttl_and_again_after() {
        let cache = CompanyCache::new(Duration::from_millis(50));
        let loads = AtomicUsize::new(0);
        let load = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(Some(config()))
        };
        cache.get_or_load("7", load).await.unwrap().unwrap();
        cache.get_or_load("7", load).await.unwrap().unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(60)).await;
        cache.get_or_load("7", load).await.unwrap().unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn does_not_remember_unknown_companies() {
        let cache = CompanyCache::new(Duration::from_secs(60));
        let missing = cache
            .get_or_load("8", || async { Ok::<_, ()>(None) })
            .await
            .unwrap();
        assert!(missing.is_none());
        let found = cache
            .get_or_load("8", || async { Ok::<_, ()>(Some(config())) })
            .await
            .unwrap();
        assert!(found.is_some());
    }
}
