//! Register types (§5.9, §5.10): a register type is a (form, information provider) pair of a
//! company's configuration, shown with the form's fields and the company's name.

use serde_json::{Value, json};

use crate::company::{CompanyConfig, RegisterPair};

/// One register type as §5.9 shows it.
pub fn public_json(config: &CompanyConfig, pair: &RegisterPair<'_>) -> Value {
    let names = |fields: &[crate::domain::ProfileField]| -> Vec<&str> {
        fields.iter().map(|f| f.as_str()).collect()
    };
    json!({
        "name": pair.name,
        "information_provider": pair.provider,
        "required_fields": names(&pair.form.required),
        "allowed_fields": names(&pair.form.allowed),
        "company_name": config.name,
    })
}
