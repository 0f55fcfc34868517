//! Search cursors: where a walk through the results stands, authenticated with the
//! deployment's key and bound to the company, the filters and `disabled_profile`.
//!
//! A cursor is `base64url(payload) "." base64url(HMAC-SHA256(key, payload))`; the payload names
//! the company, a digest of the filters and `disabled_profile`, and the creation key
//! (`ord` without the disabled offset) of the last profile returned. Nothing in it is secret,
//! but nothing in it can be changed: a cursor of another company, of other filters, or altered
//! in any byte is refused. The key comes from the deployment (Secrets Manager in AWS,
//! `.local/` for the local stack), never from the code.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::domain::CompanyId;
use crate::store::index::Searchable;

type HmacSha256 = Hmac<Sha256>;

/// The smallest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// The key cursors are signed with. `Debug` never shows it.
pub struct CursorKey(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(<redacted>)")
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    v: u8,
    c: String,
    f: String,
    k: String,
    /// Matches still to skip after `k`: a page that ran out of its examination budget while
    /// skipping a `page`'s offset hands the rest on (absent: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    s: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Where a cursor continues: after the profile of creation key `after`, skipping `skip`
/// matches first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub after: u128,
    pub skip: u32,
}

impl CursorKey {
    /// A key of at least [`MIN_KEY_BYTES`] bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the cursor key must be at least {MIN_KEY_BYTES} bytes"
            ));
        }
        Ok(Self(Zeroizing::new(bytes)))
    }

    /// The cursor that continues at `position`.
    pub fn issue(&self, company: &CompanyId, scope: &str, position: Position) -> Option<String> {
        self.sign(&Payload {
            v: 1,
            c: company.as_str().to_owned(),
            f: scope.to_owned(),
            k: position.after.to_string(),
            s: position.skip,
        })
    }

    /// Where a cursor continues, if it is this key's, this company's and this scope's.
    pub fn check(&self, cursor: &str, company: &CompanyId, scope: &str) -> Option<Position> {
        let payload = self.open(cursor, 1, company, scope)?;
        // A skip deeper than any page can ask for was never issued here.
        let sane = u64::from(payload.s) <= crate::pagination::MAX_DEPTH;
        sane.then(|| payload.k.parse().ok())
            .flatten()
            .map(|after| Position {
                after,
                skip: payload.s,
            })
    }

    /// A cursor of the audit trail that continues below the event of order key `order`
    /// (`{ms:013}#{id}`). Version 2, so that no search cursor reads as one, nor the reverse.
    pub fn issue_events(&self, company: &CompanyId, scope: &str, order: &str) -> Option<String> {
        self.sign(&Payload {
            v: 2,
            c: company.as_str().to_owned(),
            f: scope.to_owned(),
            k: order.to_owned(),
            s: 0,
        })
    }

    /// The order key an audit-trail cursor continues below, if it is this key's, this
    /// company's and this scope's.
    pub fn check_events(&self, cursor: &str, company: &CompanyId, scope: &str) -> Option<String> {
        let payload = self.open(cursor, 2, company, scope)?;
        let (ms, id) = payload.k.split_once('#')?;
        let well_formed = ms.len() == 13
            && ms.bytes().all(|b| b.is_ascii_digit())
            && id.len() == 32
            && id.bytes().all(|b| b.is_ascii_hexdigit());
        well_formed.then_some(payload.k)
    }

    /// `base64url(payload) "." base64url(HMAC-SHA256(key, payload))`.
    fn sign(&self, payload: &Payload) -> Option<String> {
        // Serialising plain strings cannot fail.
        let json = serde_json::to_vec(payload).unwrap_or_default();
        let body = URL_SAFE_NO_PAD.encode(&json);
        let tag = URL_SAFE_NO_PAD.encode(self.mac(body.as_bytes())?.finalize().into_bytes());
        Some(format!("{body}.{tag}"))
    }

    /// The payload of a cursor this key signed, of `version`, for this company and scope.
    fn open(&self, cursor: &str, version: u8, company: &CompanyId, scope: &str) -> Option<Payload> {
        if cursor.len() > 1024 {
            return None;
        }
        let (body, tag) = cursor.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(body.as_bytes())?.verify_slice(&tag).ok()?;
        let payload: Payload = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        let ours = payload.v == version && payload.c == company.as_str() && payload.f == scope;
        ours.then_some(payload)
    }

    /// HMAC takes keys of any length, so this is `None` never in practice.
    fn mac(&self, data: &[u8]) -> Option<HmacSha256> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).ok()?;
        mac.update(data);
        Some(mac)
    }

    /// The key the deployment gives: the Secrets Manager secret `CURSOR_KEY_SECRET_ARN` (AWS;
    /// one `GetSecretValue` during init) or the file `CURSOR_KEY_FILE` (the local stack: hex,
    /// `.local/cursor-key`; a file, not the value, since the emulator logs its environment).
    /// `None` when neither is set: only the search and audit functions need one.
    pub async fn from_env() -> Result<Option<Self>, String> {
        let Some(material) = crate::secret_material::from_env(
            "CURSOR_KEY_FILE",
            "CURSOR_KEY_SECRET_ARN",
            "the cursor key",
        )
        .await?
        else {
            return Ok(None);
        };
        Self::new(material.to_vec())
            .map(Some)
            .map_err(|why| format!("the cursor key: {why}"))
    }
}

/// What an audit-trail cursor is bound to besides the company: the profile (or the whole
/// company) and the filters, as a digest.
pub fn events_scope(
    profile: Option<&str>,
    from_ms: Option<u64>,
    until_ms: Option<u64>,
    type_prefix: Option<&str>,
) -> String {
    let mut hash = Sha256::new();
    let text = format!(
        "events\u{0}{}\u{0}{:?}\u{0}{:?}\u{0}{}",
        profile.unwrap_or("*"),
        from_ms,
        until_ms,
        type_prefix.unwrap_or("")
    );
    hash.update(text.as_bytes());
    URL_SAFE_NO_PAD.encode(hash.finalize())
}

/// What a cursor is bound to besides the company: the filters and `disabled_profile`, as a
/// digest (so the cursor does not carry the searched values).
pub fn scope(filters: &[(Searchable, String)], include_disabled: bool) -> String {
    let mut sorted: Vec<(String, &str)> = filters
        .iter()
        .map(|(s, v)| (s.attribute(), v.as_str()))
        .collect();
    sorted.sort();
    let mut hash = Sha256::new();
    hash.update([u8::from(include_disabled)]);
    for (name, value) in sorted {
        // Length-prefixed, so no two filter sets hash the same input.
        hash.update((name.len() as u64).to_be_bytes());
        hash.update(name.as_bytes());
        hash.update((value.len() as u64).to_be_bytes());
        hash.update(value.as_bytes());
    }
    URL_SAFE_NO_PAD.encode(&hash.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProfileField;

    fn key(byte: u8) -> CursorKey {
        CursorKey::new(vec![byte; 32]).unwrap()
    }

    #[test]
    fn a_cursor_is_good_only_for_its_key_company_and_scope() {
        let company = CompanyId::parse("acme").unwrap();
        let other = CompanyId::parse("evil").unwrap();
        let email = [(Searchable::Field(ProfileField::Email), "a@x.com".to_owned())];
        let scope_a = scope(&email, false);
        let at = |after, skip| Position { after, skip };
        let cursor = key(1).issue(&company, &scope_a, at(42, 0)).unwrap();
        assert_eq!(key(1).check(&cursor, &company, &scope_a), Some(at(42, 0)));
        let skipping = key(1).issue(&company, &scope_a, at(42, 7)).unwrap();
        assert_eq!(key(1).check(&skipping, &company, &scope_a), Some(at(42, 7)));
        let too_deep = key(1).issue(&company, &scope_a, at(42, 10_001)).unwrap();
        assert_eq!(key(1).check(&too_deep, &company, &scope_a), None);
        assert_eq!(
            key(2).check(&cursor, &company, &scope_a),
            None,
            "another key"
        );
        assert_eq!(
            key(1).check(&cursor, &other, &scope_a),
            None,
            "another company"
        );
        assert_eq!(key(1).check(&cursor, &company, &scope(&email, true)), None);
        assert_eq!(key(1).check(&cursor, &company, &scope(&[], false)), None);
        // Any byte changed.
        for i in 0..cursor.len() {
            let mut bytes = cursor.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).unwrap();
            if altered != cursor {
                assert_eq!(key(1).check(&altered, &company, &scope_a), None, "byte {i}");
            }
        }
        for garbage in ["", ".", "abc", "a.b.c", &"x".repeat(2000)] {
            assert_eq!(key(1).check(garbage, &company, &scope_a), None);
        }
    }

    #[test]
    fn scopes_differ_by_value_and_not_by_order() {
        let a = (Searchable::Field(ProfileField::Name), "Ana".to_owned());
        let b = (Searchable::Field(ProfileField::Lastname), "Soto".to_owned());
        assert_eq!(
            scope(&[a.clone(), b.clone()], false),
            scope(&[b.clone(), a.clone()], false)
        );
        let c = (Searchable::Field(ProfileField::Name), "Anb".to_owned());
        assert_ne!(scope(&[a], false), scope(&[c], false));
        assert!(CursorKey::new(vec![0; 31]).is_err());
        assert_eq!(format!("{:?}", key(7)), "CursorKey(<redacted>)");
    }

    #[test]
    fn audit_cursors_are_bound_and_apart_from_search_cursors() {
        let key = CursorKey::new(vec![7; 32]).unwrap();
        let company = CompanyId::parse("-1").unwrap();
        let other = CompanyId::parse("acme").unwrap();
        let scope = events_scope(Some("p"), Some(1), None, Some("login."));
        let order = format!("{:013}#{}", 1_733_356_799_123u64, "a".repeat(32));
        let cursor = key.issue_events(&company, &scope, &order).unwrap();
        assert_eq!(key.check_events(&cursor, &company, &scope), Some(order));
        assert_eq!(key.check_events(&cursor, &other, &scope), None);
        let wider = events_scope(None, Some(1), None, Some("login."));
        assert_eq!(key.check_events(&cursor, &company, &wider), None);
        assert_eq!(
            key.check(&cursor, &company, &scope),
            None,
            "not a search cursor"
        );
        let search = key
            .issue(&company, &scope, Position { after: 5, skip: 0 })
            .unwrap();
        assert_eq!(key.check_events(&search, &company, &scope), None);
        let mut tampered = cursor.clone();
        tampered.insert(3, 'x');
        assert_eq!(key.check_events(&tampered, &company, &scope), None);
    }
}
