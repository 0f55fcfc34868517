//! A compact JWS (`header.payload.signature`) taken apart, before anything in it is trusted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::alg::SigningAlg;

/// The parts of a token. Nothing here is verified yet: the header only says which key and
/// algorithm to try, and both are checked against the configuration before any use.
#[derive(Debug)]
pub struct CompactJws<'a> {
    pub alg: SigningAlg,
    pub kid: Option<String>,
    pub typ: Option<String>,
    /// `base64url(header) "." base64url(payload)`, the bytes the signature covers.
    pub signing_input: &'a str,
    pub signature: &'a str,
    payload: &'a str,
}

impl<'a> CompactJws<'a> {
    /// `None` for anything that is not three base64url parts with a JSON-object header naming
    /// an algorithm of ours.
    pub fn parse(token: &'a str) -> Option<Self> {
        let mut parts = token.split('.');
        let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || signature.is_empty() {
            return None;
        }
        // A JSON object, not anything serde could read into a struct (an array would do).
        let header: Map<String, Value> =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        // `crit` lists extensions a verifier must understand (RFC 7515 §4.1.11); this one
        // understands none, so such a token is refused (`b64: false` among them).
        if header.contains_key("crit") {
            return None;
        }
        let text = |name: &str| match header.get(name) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(_) => None,
        };
        Some(Self {
            alg: SigningAlg::from_name(header.get("alg")?.as_str()?)?,
            kid: text("kid")?,
            typ: text("typ")?,
            signing_input: &token[..token.len() - signature.len() - 1],
            signature,
            payload,
        })
    }

    /// The claims, read only once the signature has been verified.
    pub fn claims(&self) -> Option<Map<String, Value>> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(self.payload).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn part(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn token(header: Value) -> String {
        format!("{}.{}.c2ln", part(&header), part(&json!({"exp": 1})))
    }

    #[test]
    fn takes_apart_a_well_formed_token() {
        let token = token(json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt"}));
        let jws = CompactJws::parse(&token).unwrap();
        assert_eq!(jws.alg, SigningAlg::Es256);
        assert_eq!(jws.kid.as_deref(), Some("k1"));
        assert_eq!(jws.typ.as_deref(), Some("at+jwt"));
        assert_eq!(jws.signature, "c2ln");
        assert_eq!(format!("{}.c2ln", jws.signing_input), token);
        assert_eq!(jws.claims().unwrap()["exp"], json!(1));
    }

    #[test]
    fn refuses_unknown_algorithms_critical_extensions_and_bad_shapes() {
        let refused = [
            token(json!({"alg": "none"})),
            token(json!({"kid": "k1"})),
            token(json!({"alg": "ES256", "crit": ["b64"], "b64": false})),
            token(json!({"alg": 256})),
            format!("{}.e30", part(&json!({"alg": "ES256"}))),
            format!("{}.e30.", part(&json!({"alg": "ES256"}))),
            format!("{}.e30.c2ln.c2ln", part(&json!({"alg": "ES256"}))),
            format!("{}.e30.c2ln", part(&json!(["ES256"]))),
            "eyJhbGciOiJFUzI1NiJ9=.e30.c2ln".to_owned(),
            "not-a-jwt".to_owned(),
        ];
        for token in refused {
            assert!(CompactJws::parse(&token).is_none(), "{token}");
        }
    }
}
