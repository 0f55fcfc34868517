use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{
    AuditSettings, LockoutPolicy, PasskeySettings, PasswordChangeSettings, PasswordPolicy,
    TwoFactorSettings,
};
use crate::domain::{CompanyId, ProfileField};

/// One company's rules. Built only by [`CompanyConfig::from_json`]/[`CompanyConfig::from_value`],
/// which refuse unknown keys and check that the sections agree with one another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyConfig {
    pub company_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Each set is unique within the company and identifies one profile.
    pub identifier_sets: Vec<IdentifierSet>,
    pub information_providers: Vec<String>,
    pub register_types: BTreeMap<String, RegisterType>,
    #[serde(default)]
    pub login_forms: Vec<LoginForm>,
    #[serde(default)]
    pub password_policy: PasswordPolicy,
    #[serde(default)]
    pub lockout_policy: LockoutPolicy,
    #[serde(default)]
    pub password_change: PasswordChangeSettings,
    #[serde(default)]
    pub audit: AuditSettings,
    #[serde(default)]
    pub two_factor: TwoFactorSettings,
    /// Absent: the company offers no passkeys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkeys: Option<PasskeySettings>,
    /// When each (register type, information provider) pair was first introduced, in epoch
    /// milliseconds: kept by the store beside the configuration, never read from a file.
    #[serde(skip)]
    pub register_type_dates: BTreeMap<(String, String), u64>,
}

/// One register type as the API shows it: a form offered through one information provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterPair<'a> {
    pub name: &'a str,
    pub provider: &'a str,
    pub form: &'a RegisterType,
    /// Epoch milliseconds; 0 for a configuration the store has not dated (not yet loaded).
    pub created_ms: u64,
}

/// Fields that together are unique, e.g. `["email", "origin"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdentifierSet(pub Vec<ProfileField>);

/// A registration form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterType {
    pub required: Vec<ProfileField>,
    pub allowed: Vec<ProfileField>,
    /// The providers this form may be used through; absent: every provider of the company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information_providers: Option<Vec<String>>,
}

/// A way to log in: which identifiers the caller sends and how they authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    /// The name `allowed_logins` shows; absent: the identifiers and authenticators joined by
    /// `_` (`email_origin_password`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub identifiers: Vec<ProfileField>,
    pub authenticators: Vec<Authenticator>,
}

impl LoginForm {
    pub fn name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        self.identifiers
            .iter()
            .map(|f| f.as_str())
            .chain(self.authenticators.iter().map(|a| a.as_str()))
            .collect::<Vec<_>>()
            .join("_")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authenticator {
    Password,
}

impl Authenticator {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
        }
    }
}

/// A configuration that could not be read; each message names the key at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

impl IdentifierSet {
    pub fn fields(&self) -> &[ProfileField] {
        &self.0
    }

    /// The set's name in keys and messages, e.g. `email+origin`.
    pub fn name(&self) -> String {
        self.0
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("+")
    }
}

impl CompanyConfig {
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let config: Self = serde_path_to_error::deserialize(&mut de).map_err(path_error)?;
        // Found by fuzzing: without this, text after the JSON value was ignored.
        de.end()
            .map_err(|e| ConfigError(vec![format!("(top level): {e}")]))?;
        config.check()?;
        Ok(config)
    }

    pub fn from_value(value: serde_json::Value) -> Result<Self, ConfigError> {
        let config: Self = serde_path_to_error::deserialize(value).map_err(path_error)?;
        config.check()?;
        Ok(config)
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data to a String cannot fail; fall back to an empty object anyway.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn register_type(&self, name: &str) -> Option<&RegisterType> {
        self.register_types.get(name)
    }

    pub fn accepts_provider(&self, provider: &str) -> bool {
        self.information_providers.iter().any(|p| p == provider)
    }

    /// The providers the register type `name` may be used through.
    pub fn providers_of<'a>(&'a self, form: &'a RegisterType) -> &'a [String] {
        form.information_providers
            .as_deref()
            .unwrap_or(&self.information_providers)
    }

    /// Whether the company allows the register type `form` through `provider`.
    pub fn allows(&self, form: &RegisterType, provider: &str) -> bool {
        self.providers_of(form).iter().any(|p| p == provider)
    }

    /// Every (register type, provider) pair, by creation date, then name, then provider.
    pub fn register_pairs(&self) -> Vec<RegisterPair<'_>> {
        let mut pairs: Vec<RegisterPair<'_>> = self
            .register_types
            .iter()
            .flat_map(|(name, form)| {
                self.providers_of(form)
                    .iter()
                    .map(move |provider| RegisterPair {
                        name,
                        provider,
                        form,
                        created_ms: self
                            .register_type_dates
                            .get(&(name.clone(), provider.clone()))
                            .copied()
                            .unwrap_or(0),
                    })
            })
            .collect();
        pairs.sort_by(|a, b| {
            (a.created_ms, a.name, a.provider).cmp(&(b.created_ms, b.name, b.provider))
        });
        pairs
    }

    /// The dates of this configuration's pairs when it replaces `previous` at `now_ms`: a pair
    /// `previous` had keeps its date, a new one is dated now, a dropped one is forgotten.
    pub fn dated_from(&self, previous: &BTreeMap<(String, String), u64>, now_ms: u64) -> Self {
        let mut dated = self.clone();
        dated.register_type_dates = self
            .register_types
            .iter()
            .flat_map(|(name, form)| {
                self.providers_of(form)
                    .iter()
                    .map(move |provider| (name.clone(), provider.clone()))
            })
            .map(|pair| {
                let created = previous.get(&pair).copied().unwrap_or(now_ms);
                (pair, created)
            })
            .collect();
        dated
    }

    /// Cross-section rules serde cannot express.
    fn check(&self) -> Result<(), ConfigError> {
        let mut errors = Vec::new();
        if CompanyId::parse(&self.company_id).is_none() {
            errors.push(format!(
                "company_id: `{}` must be 1-64 characters of letters, digits, '-', '_' or '.'",
                self.company_id
            ));
        }
        if self.identifier_sets.is_empty() {
            errors.push("identifier_sets: at least one identifier set is required".into());
        }
        for (i, set) in self.identifier_sets.iter().enumerate() {
            let key = format!("identifier_sets[{i}]");
            if set.0.is_empty() {
                errors.push(format!("{key}: an identifier set needs at least one field"));
            }
            if let Some(f) = set.0.iter().find(|f| !f.is_identifier()) {
                errors.push(format!("{key}: `{f}` cannot be an identifier"));
            }
            if !set.0.iter().any(|f| f.identifies_alone()) {
                errors.push(format!(
                    "{key}: needs one of nin, username, phone_number or email"
                ));
            }
            if set.0.iter().collect::<BTreeSet<_>>().len() != set.0.len() {
                errors.push(format!("{key}: a field appears twice"));
            }
        }
        if self.information_providers.is_empty() {
            errors.push("information_providers: at least one provider is required".into());
        }
        if self.register_types.is_empty() {
            errors.push("register_types: at least one register type is required".into());
        }
        for (name, form) in &self.register_types {
            if let Some(providers) = &form.information_providers {
                let key = format!("register_types.{name}.information_providers");
                if providers.is_empty() {
                    errors.push(format!("{key}: at least one provider is required"));
                }
                for p in providers {
                    if !self.accepts_provider(p) {
                        errors.push(format!(
                            "{key}: `{p}` is not one of the company's information_providers"
                        ));
                    }
                }
                if providers.iter().collect::<BTreeSet<_>>().len() != providers.len() {
                    errors.push(format!("{key}: a provider appears twice"));
                }
            }
            for f in &form.required {
                if !form.allowed.contains(f) {
                    errors.push(format!(
                        "register_types.{name}.required: `{f}` is required but not in `allowed`"
                    ));
                }
            }
        }
        for (i, form) in self.login_forms.iter().enumerate() {
            let key = format!("login_forms[{i}]");
            if self.lookup_set(&form.identifiers).is_none() {
                errors.push(format!(
                    "{key}.identifiers: must include every field of one identifier set"
                ));
            }
            if form.authenticators.is_empty() {
                errors.push(format!("{key}.authenticators: at least one is required"));
            }
            if form
                .name
                .as_deref()
                .is_some_and(|n| n.trim().is_empty() || n.len() > 64)
            {
                errors.push(format!("{key}.name: must be 1-64 characters"));
            }
            let name = form.name();
            if self.login_forms[..i]
                .iter()
                .any(|other| other.name() == name)
            {
                errors.push(format!(
                    "{key}.name: `{name}` names another login form too (names are unique)"
                ));
            }
        }
        if self
            .name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty() || n.len() > 128)
        {
            errors.push("name: must be 1-128 characters".into());
        }
        let policy = &self.password_policy;
        if policy.min_length < 8 {
            errors.push("password_policy.min_length: must be at least 8 (NIST SP 800-63B)".into());
        }
        if policy.max_length < 64 || policy.max_length > 1024 {
            errors.push("password_policy.max_length: must be between 64 and 1024".into());
        }
        if policy.min_length > policy.max_length {
            errors.push("password_policy.min_length: must not exceed max_length".into());
        }
        if policy.min_strength > 4 {
            errors.push("password_policy.min_strength: must be between 0 and 4".into());
        }
        if !(1..=3650).contains(&self.audit.retention_days) {
            errors.push("audit.retention_days: must be between 1 and 3650".into());
        }
        let lockout = &self.lockout_policy;
        if lockout.lock_after_failures == 0 {
            errors.push("lockout_policy.lock_after_failures: must be at least 1".into());
        }
        if lockout.base_delay_seconds == 0 || lockout.base_delay_seconds > lockout.max_delay_seconds
        {
            errors.push(
                "lockout_policy.base_delay_seconds: must be at least 1 and at most max_delay_seconds"
                    .into(),
            );
        }
        errors.extend(self.two_factor.problems());
        if let Some(passkeys) = &self.passkeys {
            errors.extend(passkeys.problems());
        }
        if self.two_factor.offers(crate::two_factor::Method::Passkey) && self.passkeys.is_none() {
            errors.push(
                "two_factor.methods: passkey needs a passkeys section (rp_id, rp_name, origins)"
                    .into(),
            );
        }
        let change = &self.password_change;
        if change.token_ttl_seconds < 60 || change.token_ttl_seconds > 86_400 {
            errors.push("password_change.token_ttl_seconds: must be between 60 and 86400".into());
        }
        // The floor holds the function for that long on every request: a few seconds at most.
        if change.min_response_ms > 5_000 {
            errors.push("password_change.min_response_ms: must be at most 5000".into());
        }
        if change.max_token_attempts == 0 {
            errors.push("password_change.max_token_attempts: must be at least 1".into());
        }
        if !change.email_body.contains("{token}") {
            errors.push("password_change.email_body: must contain `{token}`".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(errors))
        }
    }

    /// The issuer authenticator apps show: `two_factor.issuer`, else the company's name, else
    /// its id.
    pub fn issuer(&self) -> &str {
        self.two_factor
            .issuer
            .as_deref()
            .or(self.name.as_deref())
            .unwrap_or(&self.company_id)
    }

    /// The identifier set (the longest that fits) used to find a profile from `fields`.
    pub fn lookup_set(&self, fields: &[ProfileField]) -> Option<&IdentifierSet> {
        self.identifier_sets
            .iter()
            .filter(|set| set.0.iter().all(|f| fields.contains(f)))
            .max_by_key(|set| set.0.len())
    }
}

fn path_error<E: fmt::Display>(err: serde_path_to_error::Error<E>) -> ConfigError {
    let path = err.path().to_string();
    let inner = err.into_inner().to_string();
    let at = if path == "." {
        "(top level)".to_owned()
    } else {
        path
    };
    ConfigError(vec![format!("{at}: {inner}")])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn demo() -> serde_json::Value {
        json!({
            "company_id": "-1",
            "identifier_sets": [["nin"], ["username"], ["email"]],
            "information_providers": ["test_idp"],
            "register_types": {"nin_register": {"required": ["nin"], "allowed": ["nin", "email"]}},
            "login_forms": [{"identifiers": ["email", "origin"], "authenticators": ["password"]}]
        })
    }

    #[test]
    fn defaults_fill_the_policy_sections() {
        let config = CompanyConfig::from_value(demo()).unwrap();
        assert_eq!(config.lockout_policy.lock_after_failures, 5);
        assert_eq!(config.password_policy.min_length, 8);
        assert_eq!(config.password_change.token_ttl_seconds, 3600);
        let again = CompanyConfig::from_json(&config.to_json()).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn trailing_text_is_refused() {
        let text = format!("{} trailing", demo());
        assert!(CompanyConfig::from_json(&text).is_err());
    }

    #[test]
    fn unknown_keys_are_named() {
        let mut value = demo();
        value["register_types"]["nin_register"]["requird"] = json!(["nin"]);
        let err = CompanyConfig::from_value(value).unwrap_err().to_string();
        assert!(err.starts_with("register_types.nin_register"), "{err}");
        assert!(err.contains("requird"), "{err}");
    }

    #[test]
    fn audit_retention_is_a_year_by_default_and_bounded() {
        let config = CompanyConfig::from_value(demo()).unwrap();
        assert_eq!(config.audit.retention_days, 365);
        for (days, ok) in [(0, false), (1, true), (3650, true), (3651, false)] {
            let mut value = demo();
            value["audit"] = json!({ "retention_days": days });
            let result = CompanyConfig::from_value(value);
            assert_eq!(result.is_ok(), ok, "{days}: {result:?}");
            if let Err(err) = result {
                assert!(err.to_string().contains("audit.retention_days"), "{err}");
            }
        }
        let mut value = demo();
        value["audit"] = json!({ "retention": 30 });
        assert!(
            CompanyConfig::from_value(value).is_err(),
            "unknown keys are refused"
        );
    }

    #[test]
    fn two_factor_offers_totp_and_recovery_codes_by_default_and_is_checked() {
        let config = CompanyConfig::from_value(demo()).unwrap();
        assert_eq!(config.two_factor, TwoFactorSettings::default());
        assert!(!config.two_factor.required);
        assert_eq!(config.issuer(), "-1");
        for (section, key) in [
            (json!({"methods": ["totp", "totp"]}), "two_factor.methods"),
            (json!({"methods": ["recovery_codes"]}), "two_factor.methods"),
            (
                json!({"methods": [], "required": true}),
                "two_factor.required",
            ),
            (json!({"issuer": "a:b"}), "two_factor.issuer"),
            (json!({"issuer": " "}), "two_factor.issuer"),
            (json!({"max_failures": 0}), "two_factor.max_failures"),
            (
                json!({"base_delay_seconds": 10, "max_delay_seconds": 5}),
                "two_factor.base_delay_seconds",
            ),
            (json!({"reset_scope": "a b"}), "two_factor.reset_scope"),
            (json!({"methods": ["sms"]}), "two_factor.methods"),
            (json!({"require": true}), "two_factor"),
        ] {
            let mut value = demo();
            value["two_factor"] = section.clone();
            let err = CompanyConfig::from_value(value).unwrap_err().to_string();
            assert!(err.contains(key), "{section}: {err}");
        }
        let mut value = demo();
        value["name"] = json!("Acme");
        value["two_factor"] = json!({"methods": [], "issuer": "Acme IdP"});
        let config = CompanyConfig::from_value(value).unwrap();
        assert_eq!(config.issuer(), "Acme IdP");
        assert!(!config.two_factor.offers(crate::two_factor::Method::Totp));
    }

    #[test]
    fn unknown_fields_are_named() {
        let mut value = demo();
        value["identifier_sets"] = json!([["mail"]]);
        let err = CompanyConfig::from_value(value).unwrap_err().to_string();
        assert!(err.contains("identifier_sets[0]"), "{err}");
    }

    #[test]
    fn sections_must_agree() {
        let mut value = demo();
        value["register_types"]["nin_register"]["required"] = json!(["name"]);
        value["login_forms"][0]["identifiers"] = json!(["nin"]);
        value["identifier_sets"] = json!([["origin"]]);
        let err = CompanyConfig::from_value(value).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("register_types.nin_register.required"),
            "{text}"
        );
        assert!(text.contains("identifier_sets[0]: needs one of"), "{text}");
        assert!(text.contains("login_forms[0].identifiers"), "{text}");
    }

    #[test]
    fn a_form_offers_every_provider_unless_it_names_its_own() {
        let mut value = demo();
        value["information_providers"] = json!(["test_idp", "google", "apple"]);
        value["register_types"]["social"] = json!({
            "required": ["email"], "allowed": ["email"], "information_providers": ["google", "apple"]
        });
        let config = CompanyConfig::from_value(value).unwrap();
        let nin = config.register_type("nin_register").unwrap();
        let social = config.register_type("social").unwrap();
        assert!(config.allows(nin, "google") && config.allows(nin, "test_idp"));
        assert!(config.allows(social, "apple") && !config.allows(social, "test_idp"));
        let pairs: Vec<(&str, &str)> = config
            .register_pairs()
            .iter()
            .map(|p| (p.name, p.provider))
            .collect();
        assert_eq!(
            pairs,
            [
                ("nin_register", "apple"),
                ("nin_register", "google"),
                ("nin_register", "test_idp"),
                ("social", "apple"),
                ("social", "google"),
            ]
        );
    }

    #[test]
    fn a_forms_providers_must_be_the_companys() {
        for (providers, expected) in [
            (json!(["nobody"]), "`nobody` is not one of"),
            (json!([]), "at least one provider"),
            (json!(["test_idp", "test_idp"]), "appears twice"),
        ] {
            let mut value = demo();
            value["register_types"]["nin_register"]["information_providers"] = providers;
            let err = CompanyConfig::from_value(value).unwrap_err().to_string();
            assert!(
                err.contains("register_types.nin_register.information_providers")
                    && err.contains(expected),
                "{err}"
            );
        }
    }

    #[test]
    fn login_forms_have_unique_names_by_default_or_by_choice() {
        let mut value = demo();
        value["identifier_sets"] = json!([["email"], ["phone_number"]]);
        value["login_forms"] = json!([
            {"identifiers": ["email", "origin"], "authenticators": ["password"]},
            {"name": "phone", "identifiers": ["phone_number"], "authenticators": ["password"]}
        ]);
        let config = CompanyConfig::from_value(value.clone()).unwrap();
        let names: Vec<String> = config.login_forms.iter().map(LoginForm::name).collect();
        assert_eq!(names, ["email_origin_password", "phone"]);

        value["login_forms"][1]["name"] = json!("email_origin_password");
        let err = CompanyConfig::from_value(value).unwrap_err().to_string();
        assert!(err.contains("login_forms[1].name"), "{err}");
    }

    #[test]
    fn dates_are_kept_for_known_pairs_and_new_pairs_are_dated_now() {
        let config = CompanyConfig::from_value(demo()).unwrap();
        let first = config.dated_from(&BTreeMap::new(), 1_000);
        let key = ("nin_register".to_owned(), "test_idp".to_owned());
        assert_eq!(first.register_type_dates[&key], 1_000);

        let mut value = demo();
        value["information_providers"] = json!(["test_idp", "google"]);
        let second = CompanyConfig::from_value(value)
            .unwrap()
            .dated_from(&first.register_type_dates, 2_000);
        assert_eq!(second.register_type_dates[&key], 1_000, "kept on reload");
        assert_eq!(
            second.register_type_dates[&("nin_register".to_owned(), "google".to_owned())],
            2_000
        );
        let order: Vec<&str> = second.register_pairs().iter().map(|p| p.provider).collect();
        assert_eq!(order, ["test_idp", "google"], "older first");

        // A pair dropped from the configuration is forgotten.
        let third = config.dated_from(&second.register_type_dates, 3_000);
        assert_eq!(third.register_type_dates.len(), 1);
    }

    #[test]
    fn login_lookup_prefers_the_most_specific_set() {
        let mut value = demo();
        value["identifier_sets"] = json!([["email"], ["email", "origin"]]);
        let config = CompanyConfig::from_value(value).unwrap();
        let set = config
            .lookup_set(&[ProfileField::Email, ProfileField::Origin])
            .unwrap();
        assert_eq!(set.name(), "email+origin");
        assert_eq!(config.lookup_set(&[ProfileField::Nin]), None);
    }
}
