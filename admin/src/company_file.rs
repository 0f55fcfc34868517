use std::path::{Path, PathBuf};

use idp_core::company::CompanyConfig;
use idp_core::store::{Store, Tables, dynamodb_client};

/// Reads a YAML (`.yaml`/`.yml`) or JSON file into a validated configuration.
pub fn read(path: &Path) -> Result<CompanyConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let is_yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    let value: serde_json::Value = if is_yaml {
        serde_yaml::from_str(&text)
            .map_err(|e| format!("{}: not valid YAML: {e}", path.display()))?
    } else {
        serde_json::from_str(&text)
            .map_err(|e| format!("{}: not valid JSON: {e}", path.display()))?
    };
    CompanyConfig::from_value(value).map_err(|e| {
        let lines: Vec<String> = e.0.iter().map(|m| format!("  {m}")).collect();
        format!(
            "{}: invalid company configuration:\n{}",
            path.display(),
            lines.join("\n")
        )
    })
}

pub fn validate_all(files: &[PathBuf]) -> Result<(), String> {
    if files.is_empty() {
        return Err("no file given".into());
    }
    let mut failures = Vec::new();
    for path in files {
        match read(path) {
            Ok(config) => println!("{}: ok (company {})", path.display(), config.company_id),
            Err(message) => failures.push(message),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

pub async fn load_all(
    files: &[PathBuf],
    table: &str,
    as_company: Option<&str>,
) -> Result<(), String> {
    if files.is_empty() {
        return Err("no file given".into());
    }
    if as_company.is_some() && files.len() > 1 {
        return Err("--as takes exactly one file".into());
    }
    // Validate everything before writing anything.
    let mut configs = Vec::new();
    for path in files {
        let mut config = read(path)?;
        if let Some(id) = as_company {
            config.company_id = id.to_owned();
            config = CompanyConfig::from_value(
                serde_json::to_value(&config).map_err(|e| e.to_string())?,
            )
            .map_err(|e| format!("--as {id}: {e}"))?;
        }
        configs.push((path, config));
    }
    let tables = Tables {
        profiles: String::new(),
        companies: table.to_owned(),
    };
    let store = Store::new(dynamodb_client().await, tables);
    for (path, config) in configs {
        store
            .put_company_config(&config)
            .await
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!(
            "{}: loaded company {} into {table}",
            path.display(),
            config.company_id
        );
    }
    Ok(())
}
