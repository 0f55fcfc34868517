//! Creates the tables `template.yaml` declares, so the local stack and AWS cannot drift.

use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use idp_core::store::dynamodb_client;
use serde_yaml::Value;

/// A table as the template declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub logical_id: String,
    pub attributes: Vec<(String, String)>,
    pub key: Vec<(String, String)>,
    pub indexes: Vec<IndexSpec>,
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    pub name: String,
    pub key: Vec<(String, String)>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE` (with `non_key_attributes`), as declared.
    pub projection: String,
    pub non_key_attributes: Vec<String>,
}

pub fn read_template(path: &Path) -> Result<Vec<TableSpec>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: Value = serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let resources = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or("template has no Resources")?;
    let mut specs = Vec::new();
    for (id, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::DynamoDB::Table") {
            continue;
        }
        let logical_id = id.as_str().ok_or("resource id is not a string")?.to_owned();
        let props = resource
            .get("Properties")
            .ok_or_else(|| format!("{logical_id}: no Properties"))?;
        let pairs =
            |list: Option<&Value>, a: &str, b: &str| -> Result<Vec<(String, String)>, String> {
                list.and_then(Value::as_sequence)
                    .ok_or_else(|| format!("{logical_id}: missing list"))?
                    .iter()
                    .map(|entry| {
                        let get = |k: &str| {
                            entry
                                .get(k)
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                                .ok_or_else(|| format!("{logical_id}: entry without {k}"))
                        };
                        Ok((get(a)?, get(b)?))
                    })
                    .collect()
            };
        let attributes = pairs(
            props.get("AttributeDefinitions"),
            "AttributeName",
            "AttributeType",
        )?;
        let key = pairs(props.get("KeySchema"), "AttributeName", "KeyType")?;
        let mut indexes = Vec::new();
        if let Some(list) = props
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_sequence)
        {
            for index in list {
                let name = index
                    .get("IndexName")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{logical_id}: index without IndexName"))?
                    .to_owned();
                let key = pairs(index.get("KeySchema"), "AttributeName", "KeyType")?;
                let projection = index
                    .get("Projection")
                    .ok_or_else(|| format!("{logical_id}: index {name} without Projection"))?;
                let non_key_attributes = projection
                    .get("NonKeyAttributes")
                    .and_then(Value::as_sequence)
                    .map(|list| {
                        list.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                let projection = projection
                    .get("ProjectionType")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{logical_id}: index {name} without ProjectionType"))?
                    .to_owned();
                indexes.push(IndexSpec {
                    name,
                    key,
                    projection,
                    non_key_attributes,
                });
            }
        }
        let ttl_attribute = props
            .get("TimeToLiveSpecification")
            .and_then(|ttl| ttl.get("AttributeName"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        specs.push(TableSpec {
            logical_id,
            attributes,
            key,
            indexes,
            ttl_attribute,
        });
    }
    if specs.is_empty() {
        return Err(format!("{}: declares no DynamoDB table", path.display()));
    }
    Ok(specs)
}

pub async fn create_from_template(path: &Path) -> Result<(), String> {
    let specs = read_template(path)?;
    let client = dynamodb_client().await;
    let existing = client
        .list_tables()
        .send()
        .await
        .map_err(|e| format!("cannot reach DynamoDB: {e}"))?
        .table_names
        .unwrap_or_default();
    for spec in specs {
        if existing.contains(&spec.logical_id) {
            println!("table {} exists", spec.logical_id);
            continue;
        }
        create(&client, &spec).await?;
        println!("table {} created", spec.logical_id);
    }
    Ok(())
}

fn key_schema(key: &[(String, String)]) -> Result<Vec<KeySchemaElement>, String> {
    key.iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind.as_str()))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

async fn create(client: &Client, spec: &TableSpec) -> Result<(), String> {
    let mut request = client
        .create_table()
        .table_name(&spec.logical_id)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&spec.key)?));
    for (name, kind) in &spec.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    for index in &spec.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(key_schema(&index.key)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(index.projection.as_str()))
                        .set_non_key_attributes(
                            (!index.non_key_attributes.is_empty())
                                .then(|| index.non_key_attributes.clone()),
                        )
                        .build(),
                )
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| format!("create table {}: {e:?}", spec.logical_id))?;
    wait_active(client, &spec.logical_id).await?;
    if let Some(attribute) = &spec.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(&spec.logical_id)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(attribute)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .send()
            .await
            .map_err(|e| format!("enable TTL on {}: {e:?}", spec.logical_id))?;
    }
    Ok(())
}

async fn wait_active(client: &Client, table: &str) -> Result<(), String> {
    for _ in 0..100 {
        let status = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| format!("describe {table}: {e:?}"))?
            .table
            .and_then(|t| t.table_status);
        if status.as_ref().map(|s| s.as_str()) == Some("ACTIVE") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("table {table} did not become ACTIVE"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_declares_the_tables_the_store_uses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let specs = read_template(&path).unwrap();
        let profiles = specs
            .iter()
            .find(|s| s.logical_id == "ProfilesTable")
            .unwrap();
        assert_eq!(
            profiles.key,
            vec![
                ("PK".to_owned(), "HASH".to_owned()),
                ("SK".to_owned(), "RANGE".to_owned())
            ]
        );
        // Every index the store queries, by the attribute it writes, sorted by `ord`.
        for (index, attribute) in idp_core::store::INDEXES {
            let spec = profiles
                .indexes
                .iter()
                .find(|i| i.name == *index)
                .unwrap_or_else(|| panic!("template lacks index {index}"));
            assert_eq!(
                spec.key,
                vec![
                    ((*attribute).to_owned(), "HASH".to_owned()),
                    ("ord".to_owned(), "RANGE".to_owned())
                ]
            );
            assert_eq!(spec.projection, "KEYS_ONLY");
        }
        // The audit trail's company index: by write shard, newest first, projected whole so a
        // page is one query per shard.
        let (name, partition, sort) = idp_core::store::EVENTS_INDEX;
        let events = profiles
            .indexes
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("template lacks index {name}"));
        assert_eq!(
            events.key,
            vec![
                (partition.to_owned(), "HASH".to_owned()),
                (sort.to_owned(), "RANGE".to_owned())
            ]
        );
        assert_eq!(events.projection, "ALL");
        assert_eq!(profiles.indexes.len(), idp_core::store::INDEXES.len() + 1);
        assert_eq!(profiles.ttl_attribute.as_deref(), Some("expires_at"));
        let companies = specs
            .iter()
            .find(|s| s.logical_id == "CompaniesTable")
            .unwrap();
        assert_eq!(
            companies.key,
            vec![("company_id".to_owned(), "HASH".to_owned())]
        );
    }
}
