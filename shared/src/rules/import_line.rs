//! The lines of `idp-admin import` and `export` (API.md §7, docs/design.md "Import and
//! export"): one JSON object per line with `register_type`, `information_provider`, `profile`,
//! and optionally `active`, `uuid`, `password_hash` and `two_factor` (an enrolled TOTP:
//! `{"totp": {"secret": base32, "algorithm", "digits", "period"}}`, so users keep their
//! authenticator apps when their company moves in or out).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::company::CompanyConfig;
use crate::domain::{CompanyId, ProfileId};
use crate::error::ApiError;
use crate::json_body::parse_json_bytes;
use crate::resource::Resource;
use crate::rules::registration::{ProfileRequest, checked_profile};
use crate::store::{ExportedProfile, NewProfile};
use crate::two_factor::{Method, Totp, TotpAlgorithm, TotpParams, TotpSecret};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    register_type: String,
    information_provider: String,
    #[serde(default)]
    profile: Option<Map<String, Value>>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    password_hash: Option<String>,
    #[serde(default)]
    two_factor: Option<TwoFactorLine>,
}

/// A line's second factors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TwoFactorLine {
    totp: TotpLine,
}

/// An enrolled TOTP as another service had it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TotpLine {
    secret: String,
    #[serde(default = "sha1")]
    algorithm: String,
    #[serde(default = "six")]
    digits: u8,
    #[serde(default = "thirty")]
    period: u32,
}

impl std::fmt::Debug for TotpLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpLine(..)")
    }
}

fn sha1() -> String {
    "SHA1".into()
}
fn six() -> u8 {
    6
}
fn thirty() -> u32 {
    30
}

impl TotpLine {
    fn checked(&self) -> Result<Totp, ApiError> {
        let bad = |why: String| ApiError::bad_request(Resource::Profile, why);
        let secret = TotpSecret::from_base32(&self.secret).ok_or_else(|| {
            bad("`two_factor.totp.secret` must be base32 of 80 to 512 bits".into())
        })?;
        let algorithm = TotpAlgorithm::parse(&self.algorithm).ok_or_else(|| {
            bad("`two_factor.totp.algorithm` must be SHA1, SHA256 or SHA512".into())
        })?;
        let params = TotpParams::checked(algorithm, self.digits, self.period)
            .map_err(|why| bad(format!("`two_factor.totp`: {why}")))?;
        Ok(Totp { secret, params })
    }
}
/// A line that passed Create's checks: the profile to write and the hash it brings.
pub struct ImportLine {
    pub profile: NewProfile,
    /// The line named its uuid (otherwise it is derived from the line's values).
    pub uuid_given: bool,
    pub password_hash: Option<String>,
    /// An enrolled TOTP the line brings.
    pub totp: Option<Totp>,
}

impl std::fmt::Debug for ImportLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportLine")
            .field("profile", &self.profile.id)
            .field("uuid_given", &self.uuid_given)
            .field("has_password_hash", &self.password_hash.is_some())
            .field("has_totp", &self.totp.is_some())
            .finish()
    }
}

/// Parses one line and runs Create's checks on it; the error is Create's answer (status and
/// sentence) for the same profile.
pub fn parse_line(
    company: &CompanyId,
    config: &CompanyConfig,
    bytes: &[u8],
) -> Result<ImportLine, ApiError> {
    let line: Line = parse_json_bytes(bytes, Resource::Profile)?;
    let given = match &line.uuid {
        None => None,
        Some(raw) => Some(ProfileId::parse(raw).ok_or_else(|| {
            ApiError::bad_request(
                Resource::Profile,
                "`uuid` is not a UUID in its hyphenated form",
            )
        })?),
    };
    if line.password_hash.as_deref().is_some_and(str::is_empty) {
        return Err(ApiError::bad_request(
            Resource::Profile,
            "`password_hash` is empty",
        ));
    }
    let totp = line
        .two_factor
        .as_ref()
        .map(|two_factor| two_factor.totp.checked())
        .transpose()?;
    if totp.is_some() && !config.two_factor.offers(Method::Totp) {
        return Err(ApiError::bad_request(
            Resource::Profile,
            "`two_factor.totp`: the company does not offer totp",
        ));
    }
    let mut profile = checked_profile(
        config,
        ProfileRequest {
            company: company.clone(),
            id: given.unwrap_or_else(ProfileId::new_random),
            register_type: line.register_type,
            information_provider: line.information_provider,
            profile: line.profile.unwrap_or_default(),
            active: line.active.unwrap_or(true),
        },
    )?;
    if given.is_none() {
        profile.id = derived_id(&profile);
    }
    Ok(ImportLine {
        profile,
        uuid_given: given.is_some(),
        password_hash: line.password_hash,
        totp,
    })
}

/// The uuid of a line without one: a v5 UUID of the company and the line's checked values
/// (normalised, so `A@x.com` and `a@x.com` are one line), never of its password hash.
fn derived_id(profile: &NewProfile) -> ProfileId {
    let mut name = format!(
        "{}\n{}\n{}\n{}\n",
        profile.company, profile.register_type, profile.identification_provider, profile.active
    );
    for (field, value) in profile.attributes.iter() {
        name.push_str(field.as_str());
        name.push('=');
        name.push_str(value);
        name.push('\n');
    }
    ProfileId::derived(name.as_bytes())
}

/// The export line of a profile: `uuid`, `register_type`, `information_provider`, `active`,
/// `profile` (its fields, in the API's order), `password_hash` when it has one and
/// `two_factor` when it has an enrolled TOTP (`totp`, opened by the caller). It is an import
/// line: `idp-admin import` reads it back as it is.
pub fn export_line(profile: &ExportedProfile, totp: Option<&Totp>) -> Value {
    let values: Map<String, Value> = profile
        .values
        .iter()
        .map(|(field, value)| (field.as_str().to_owned(), Value::String(value.clone())))
        .collect();
    let mut line = json!({
        "uuid": profile.id,
        "register_type": profile.register_type,
        "information_provider": profile.information_provider,
        "active": profile.active,
        "profile": values,
    });
    if let (Some(hash), Some(map)) = (&profile.password_hash, line.as_object_mut()) {
        map.insert("password_hash".into(), Value::String(hash.clone()));
    }
    if let (Some(totp), Some(map)) = (totp, line.as_object_mut()) {
        map.insert(
            "two_factor".into(),
            json!({"totp": {
                "secret": totp.secret.to_base32().as_str(),
                "algorithm": totp.params.algorithm.as_str(),
                "digits": totp.params.digits,
                "period": totp.params.period,
            }}),
        );
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProfileField;

    #[test]
    fn an_export_line_keeps_its_keys_in_order_and_reads_back_as_an_import_line() {
        let profile = ExportedProfile {
            id: "6d727476-85c0-476c-975b-113a31c4e286".into(),
            register_type: "nin_register".into(),
            information_provider: "test_idp".into(),
            active: false,
            values: vec![
                (ProfileField::Nin, "123456789".into()),
                (ProfileField::Email, "tlat@email.com".into()),
            ],
            password_hash: Some("$2b$10$abcdefghijklmnopqrstuu".into()),
            totp: None,
        };
        let line = export_line(&profile, None);
        assert_eq!(
            line.to_string(),
            r#"{"uuid":"6d727476-85c0-476c-975b-113a31c4e286","register_type":"nin_register","information_provider":"test_idp","active":false,"profile":{"nin":"123456789","email":"tlat@email.com"},"password_hash":"$2b$10$abcdefghijklmnopqrstuu"}"#
        );
        let config = CompanyConfig::from_value(json!({
            "company_id": "-1",
            "identifier_sets": [["nin"], ["email"]],
            "information_providers": ["test_idp"],
            "register_types": {"nin_register": {"required": ["nin"], "allowed": ["nin", "email"]}}
        }))
        .unwrap();
        let company = CompanyId::parse("-1").unwrap();
        let read = parse_line(&company, &config, line.to_string().as_bytes()).unwrap();
        assert_eq!(read.profile.id.to_string(), profile.id);
        assert!(!read.profile.active);
        assert_eq!(
            read.profile.attributes.get(ProfileField::Email),
            Some("tlat@email.com")
        );
        assert_eq!(read.password_hash, profile.password_hash);

        let without = ExportedProfile {
            password_hash: None,
            ..profile
        };
        assert!(export_line(&without, None).get("password_hash").is_none());

        // A TOTP goes out as another service's import would want it, and reads back.
        let totp = Totp {
            secret: TotpSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap(),
            params: TotpParams::checked(TotpAlgorithm::Sha256, 8, 60).unwrap(),
        };
        let line = export_line(&without, Some(&totp));
        assert_eq!(
            line["two_factor"],
            json!({"totp": {"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "algorithm": "SHA256",
                            "digits": 8, "period": 60}})
        );
        let read = parse_line(&company, &config, line.to_string().as_bytes()).unwrap();
        assert_eq!(read.totp, Some(totp));
        for (two_factor, why) in [
            (json!({"totp": {"secret": "JBSWY3DP"}}), "80 to 512 bits"),
            (
                json!({"totp": {"secret": "JBSWY3DPEHPK3PXP", "digits": 9}}),
                "digits",
            ),
            (
                json!({"totp": {"secret": "JBSWY3DPEHPK3PXP", "algorithm": "MD5"}}),
                "algorithm",
            ),
            (json!({"sms": {}}), "sms"),
        ] {
            let mut bad = line.clone();
            bad["two_factor"] = two_factor;
            let err = parse_line(&company, &config, bad.to_string().as_bytes()).unwrap_err();
            assert!(err.body().to_string().contains(why), "{}", err.body());
        }
    }
}
