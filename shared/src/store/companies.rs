use aws_sdk_dynamodb::types::AttributeValue;

use super::attributes::{get_s, n, s};
use super::profiles::unix_now;
use super::{Store, StoreError};
use crate::company::CompanyConfig;

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
        let Some(item) = output.item else {
            return Ok(None);
        };
        let text = get_s(&item, "config")
            .ok_or_else(|| StoreError::Corrupt(format!("company {company_id} has no config")))?;
        CompanyConfig::from_json(text)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("company {company_id}: {e}")))
    }

    /// Stores (or replaces) a company's configuration.
    pub async fn put_company_config(&self, config: &CompanyConfig) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.companies)
            .item("company_id", s(&config.company_id))
            .item("config", s(config.to_json()))
            .item("updated_at", n(unix_now()))
            .item("kind", AttributeValue::S("company_config".into()))
            .send()
            .await?;
        Ok(())
    }
}
