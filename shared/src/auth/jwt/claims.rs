//! The rules a verified token's claims must meet, and what this service reads from them.

use serde_json::{Map, Value};

use super::super::{Claims, client_from, company_uid_from, scopes_from};

/// Where an issuer puts what this service checks. The defaults suit a plain RFC 9068 issuer;
/// `docs/deploy.md` gives the settings for Cognito, Auth0 and Keycloak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRules {
    /// Required `iss`, compared exactly.
    pub issuer: Option<String>,
    /// Accepted audiences; empty: the audience is not checked.
    pub audiences: Vec<String>,
    /// The claim holding the audience: `aud` (RFC 7519), or `client_id` for Cognito access
    /// tokens, which carry no `aud`.
    pub audience_claim: String,
    /// The claim naming the company the token may act on; a namespaced name such as
    /// `https://example.com/company_uid` is used as it is.
    pub company_claim: String,
    /// Claims that must hold a given string value, e.g. Cognito's `token_use=access`.
    pub required: Vec<(String, String)>,
    /// Required `typ` header, e.g. `at+jwt` (RFC 9068 §4), compared without case and with an
    /// optional `application/` prefix.
    pub token_type: Option<String>,
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    pub leeway: u64,
}

pub const DEFAULT_LEEWAY_SECS: u64 = 30;
pub const MAX_LEEWAY_SECS: u64 = 300;

impl Default for ClaimRules {
    fn default() -> Self {
        Self {
            issuer: None,
            audiences: Vec::new(),
            audience_claim: "aud".into(),
            company_claim: "company_uid".into(),
            required: Vec::new(),
            token_type: None,
            leeway: DEFAULT_LEEWAY_SECS,
        }
    }
}

impl ClaimRules {
    pub fn header_type_allowed(&self, typ: Option<&str>) -> bool {
        let Some(expected) = &self.token_type else {
            return true;
        };
        let Some(typ) = typ else {
            return false;
        };
        let bare = match typ.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
            _ => typ,
        };
        bare.eq_ignore_ascii_case(expected)
    }

    /// The grant of a token whose signature is valid, or `None` when a claim breaks a rule:
    /// `exp` is required and both it and `nbf` are checked with the leeway.
    pub fn grant(&self, claims: &Map<String, Value>, now: f64) -> Option<Claims> {
        let leeway = self.leeway as f64;
        let exp = numeric_date(claims.get("exp")?)?;
        if now >= exp + leeway {
            return None;
        }
        if let Some(nbf) = claims.get("nbf")
            && now + leeway < numeric_date(nbf)?
        {
            return None;
        }
        if let Some(issuer) = &self.issuer
            && claims.get("iss").and_then(Value::as_str) != Some(issuer.as_str())
        {
            return None;
        }
        if !self.audiences.is_empty()
            && !self
                .audiences
                .iter()
                .any(|audience| holds(claims.get(&self.audience_claim), audience))
        {
            return None;
        }
        if !self
            .required
            .iter()
            .all(|(name, value)| holds(claims.get(name), value))
        {
            return None;
        }
        Some(Claims {
            company_uid: company_uid_from(claims.get(&self.company_claim)),
            scopes: scopes_from(claims.get("scope").or_else(|| claims.get("scp"))),
            client: client_from([
                claims.get("client_id"),
                claims.get("azp"),
                claims.get("sub"),
            ]),
        })
    }
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, possibly fractional.
fn numeric_date(value: &Value) -> Option<f64> {
    value.as_f64().filter(|seconds| seconds.is_finite())
}

/// A string claim equal to `expected`, or an array of strings holding it.
fn holds(claim: Option<&Value>, expected: &str) -> bool {
    match claim {
        Some(Value::String(value)) => value == expected,
        Some(Value::Array(values)) => values.iter().any(|v| v.as_str() == Some(expected)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: f64 = 1_800_000_000.0;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn company(rules: &ClaimRules, claims: Value) -> Option<Option<String>> {
        rules.grant(&map(claims), NOW).map(|c| c.company_uid)
    }

    #[test]
    fn exp_and_nbf_hold_with_the_leeway_and_exp_is_required() {
        let rules = ClaimRules::default();
        let at = |claims: Value| rules.grant(&map(claims), NOW).is_some();
        assert!(at(json!({"exp": NOW + 1.0})));
        assert!(at(json!({"exp": NOW - 29.0})), "within the leeway");
        assert!(!at(json!({"exp": NOW - 30.0})));
        assert!(!at(json!({"exp": NOW - 3600.0})));
        assert!(!at(json!({})), "exp is required");
        assert!(
            !at(json!({"exp": "1800000060"})),
            "a NumericDate is a number"
        );
        assert!(
            at(json!({"exp": NOW + 60.5, "nbf": NOW + 29.0})),
            "nbf within the leeway"
        );
        assert!(!at(json!({"exp": NOW + 7200.0, "nbf": NOW + 31.0})));
        assert!(!at(json!({"exp": NOW + 7200.0, "nbf": NOW + 3600.0})));
        assert!(!at(json!({"exp": NOW + 60.0, "nbf": null})));
        let strict = ClaimRules {
            leeway: 0,
            ..ClaimRules::default()
        };
        assert!(strict.grant(&map(json!({"exp": NOW})), NOW).is_none());
        assert!(
            strict
                .grant(&map(json!({"exp": NOW + 60.0, "nbf": NOW + 1.0})), NOW)
                .is_none()
        );
    }

    #[test]
    fn issuer_audience_and_required_claims_are_compared_exactly() {
        let rules = ClaimRules {
            issuer: Some("https://issuer.test/".into()),
            audiences: vec!["api-1".into(), "api-2".into()],
            required: vec![("token_use".into(), "access".into())],
            ..ClaimRules::default()
        };
        let ok = json!({"exp": NOW + 60.0, "iss": "https://issuer.test/", "aud": "api-2", "token_use": "access"});
        assert!(rules.grant(&map(ok.clone()), NOW).is_some());
        for (claim, value) in [
            ("iss", json!("https://issuer.test")),
            ("iss", json!(["https://issuer.test/"])),
            ("aud", json!("api-3")),
            ("aud", json!(["api-3", "api-4"])),
            ("aud", json!(null)),
            ("token_use", json!("id")),
        ] {
            let mut claims = ok.clone();
            claims[claim] = value.clone();
            assert!(rules.grant(&map(claims), NOW).is_none(), "{claim}: {value}");
        }
        let mut listed = ok.clone();
        listed["aud"] = json!(["other", "api-1"]);
        assert!(
            rules.grant(&map(listed), NOW).is_some(),
            "one of several audiences"
        );
        let mut missing = ok;
        missing.as_object_mut().unwrap().remove("token_use");
        assert!(rules.grant(&map(missing), NOW).is_none());
    }

    #[test]
    fn cognito_access_tokens_carry_the_audience_in_client_id() {
        let rules = ClaimRules {
            audiences: vec!["app-client".into()],
            audience_claim: "client_id".into(),
            ..ClaimRules::default()
        };
        assert!(
            rules
                .grant(
                    &map(json!({"exp": NOW + 60.0, "client_id": "app-client"})),
                    NOW
                )
                .is_some()
        );
        assert!(
            rules
                .grant(&map(json!({"exp": NOW + 60.0, "aud": "app-client"})), NOW)
                .is_none()
        );
    }

    #[test]
    fn the_company_comes_from_the_configured_claim_only() {
        let namespaced = ClaimRules {
            company_claim: "https://example.com/company_uid".into(),
            ..ClaimRules::default()
        };
        let claims = json!({"exp": NOW + 60.0, "https://example.com/company_uid": 42, "company_uid": "decoy"});
        assert_eq!(
            company(&namespaced, claims.clone()),
            Some(Some("42".into()))
        );
        assert_eq!(
            company(&ClaimRules::default(), claims),
            Some(Some("decoy".into()))
        );
        assert_eq!(
            company(&namespaced, json!({"exp": NOW + 60.0, "company_uid": "1"})),
            Some(None)
        );
    }

    #[test]
    fn the_header_type_is_checked_only_when_configured() {
        let rfc9068 = ClaimRules {
            token_type: Some("at+jwt".into()),
            ..ClaimRules::default()
        };
        assert!(rfc9068.header_type_allowed(Some("at+jwt")));
        assert!(rfc9068.header_type_allowed(Some("application/AT+JWT")));
        assert!(!rfc9068.header_type_allowed(Some("JWT")));
        assert!(!rfc9068.header_type_allowed(None));
        assert!(ClaimRules::default().header_type_allowed(None));
    }

    #[test]
    fn the_client_is_client_id_then_azp_then_sub_cut_and_cleaned() {
        let rules = ClaimRules::default();
        let client = |claims: Value| rules.grant(&map(claims), NOW).unwrap().client;
        let exp = NOW + 60.0;
        assert_eq!(
            client(json!({"exp": exp, "client_id": "app", "azp": "b", "sub": "c"})),
            Some("app".into())
        );
        assert_eq!(
            client(json!({"exp": exp, "azp": "b", "sub": "c"})),
            Some("b".into())
        );
        assert_eq!(client(json!({"exp": exp, "sub": 42})), Some("42".into()));
        assert_eq!(client(json!({"exp": exp, "client_id": ""})), None);
        let long = client(json!({"exp": exp, "sub": format!("a\n{}", "x".repeat(300))})).unwrap();
        assert_eq!(long.chars().count(), 128);
        assert!(long.starts_with("a?x"));
    }
}
