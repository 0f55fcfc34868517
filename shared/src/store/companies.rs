//! Company configurations: one item per company, the configuration as JSON (`config`) and the
//! creation date of each of its register types (`register_types_created`), which a reload
//! of the same configuration keeps.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::attributes::{Item, get_s, n, s};
use super::conflict::backoff;
use super::{Store, StoreError};
use crate::company::CompanyConfig;

/// Loads racing on one company retry from the read, so neither loses the other's dates.
const LOAD_RETRIES: u32 = 8;

impl Store {
    /// The company's configuration, or `None` for an unknown company.
    pub async fn company_config(
        &self,
        company_id: &str,
    ) -> Result<Option<CompanyConfig>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.companies)
            .key("company_id", s(company_id))
            .send()
            .await?;
        output
            .item
            .map(|item| config_from_item(company_id, &item))
            .transpose()
    }

    /// Stores (or replaces) a company's configuration. Register types it shares with the
    /// stored one keep their creation dates; new ones are dated now. The write is conditioned
    /// on the item it read, so two loads racing cannot drop each other's dates.
    pub async fn put_company_config(&self, config: &CompanyConfig) -> Result<(), StoreError> {
        for attempt in 0..LOAD_RETRIES {
            let stored = self
                .client
                .get_item()
                .table_name(&self.tables.companies)
                .key("company_id", s(&config.company_id))
                .consistent_read(true)
                .send()
                .await?
                .item;
            let now = self.clock.now_ms();
            let previous = stored.as_ref().map(dates_of).unwrap_or_default();
            let dated = config.dated_from(&previous, now);
            let request = self
                .client
                .put_item()
                .table_name(&self.tables.companies)
                .item("company_id", s(&dated.company_id))
                .item("config", s(dated.to_json()))
                .item("register_types_created", dates_attribute(&dated))
                .item("updated_at", n(now))
                .item("kind", s("company_config"));
            let request = match stored.as_ref().and_then(|item| item.get("updated_at")) {
                Some(seen) => request
                    .condition_expression("updated_at = :seen")
                    .expression_attribute_values(":seen", seen.clone()),
                None => request.condition_expression("attribute_not_exists(company_id)"),
            };
            match request.send().await {
                Ok(_) => return Ok(()),
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
                {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(StoreError::Unavailable(format!(
            "company {}: too many concurrent loads",
            config.company_id
        )))
    }
}

fn config_from_item(company_id: &str, item: &Item) -> Result<CompanyConfig, StoreError> {
    let text = get_s(item, "config")
        .ok_or_else(|| StoreError::Corrupt(format!("company {company_id} has no config")))?;
    let mut config = CompanyConfig::from_json(text)
        .map_err(|e| StoreError::Corrupt(format!("company {company_id}: {e}")))?;
    config.register_type_dates = dates_of(item);
    Ok(config)
}

/// `[{register, provider, created_at}]`; entries that are not of that shape are ignored (the
/// pair then sorts first, as undated).
fn dates_of(item: &Item) -> BTreeMap<(String, String), u64> {
    let Some(AttributeValue::L(list)) = item.get("register_types_created") else {
        return BTreeMap::new();
    };
    list.iter()
        .filter_map(|entry| {
            let entry = entry.as_m().ok()?;
            let text = |name: &str| entry.get(name)?.as_s().ok().cloned();
            let created = entry.get("created_at")?.as_n().ok()?.parse().ok()?;
            Some(((text("register")?, text("provider")?), created))
        })
        .collect()
}

fn dates_attribute(config: &CompanyConfig) -> AttributeValue {
    AttributeValue::L(
        config
            .register_type_dates
            .iter()
            .map(|((register, provider), created)| {
                AttributeValue::M(
                    [
                        ("register".to_owned(), s(register)),
                        ("provider".to_owned(), s(provider)),
                        ("created_at".to_owned(), n(created)),
                    ]
                    .into_iter()
                    .collect(),
                )
            })
            .collect(),
    )
}
