//! A software passkey for the store- and handler-level tests: it answers WebAuthn options the
//! way a platform authenticator and browser do (`none` attestation, ES256, resident, user
//! verified), written from the WebAuthn Level 3 specification with RustCrypto's P-256 and
//! ciborium's CBOR, independently of the `webauthn-rs` code the server verifies with. The
//! browser test (`tests/tests/passkeys.rs`) proves the same flows with Chromium's authenticator.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::value::Value as Cbor;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

pub struct SoftPasskey {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    pub counter: u32,
    pub origin: String,
    /// Whether assertions carry the user-verified flag.
    pub user_verified: bool,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text.as_str().unwrap()).unwrap()
}

fn client_data(kind: &str, challenge: &Value, origin: &str) -> Vec<u8> {
    json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false})
        .to_string()
        .into_bytes()
}

fn cbor(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).unwrap();
    out
}

impl SoftPasskey {
    pub fn new(origin: &str) -> Self {
        let mut id = [0u8; 32];
        rand::fill(&mut id);
        Self {
            key: loop {
                let mut secret = [0u8; 32];
                rand::fill(&mut secret);
                if let Ok(key) = SigningKey::from_bytes(&secret.into()) {
                    break key;
                }
            },
            credential_id: id.to_vec(),
            user_handle: Vec::new(),
            counter: 0,
            origin: origin.to_owned(),
            user_verified: true,
        }
    }

    pub fn credential_id(&self) -> String {
        b64(&self.credential_id)
    }

    fn flags(&self) -> u8 {
        if self.user_verified { UP | UV } else { UP }
    }

    /// `navigator.credentials.create` with creation options: the registration response JSON.
    pub fn create(&mut self, options: &Value) -> Value {
        self.user_handle = unb64(&options["user"]["id"]);
        let rp_id = options["rp"]["id"].as_str().unwrap();
        let point = self.key.verifying_key().to_encoded_point(false);
        let cose = Cbor::Map(vec![
            (Cbor::Integer(1.into()), Cbor::Integer(2.into())),
            (Cbor::Integer(3.into()), Cbor::Integer((-7).into())),
            (Cbor::Integer((-1).into()), Cbor::Integer(1.into())),
            (
                Cbor::Integer((-2).into()),
                Cbor::Bytes(point.x().unwrap().to_vec()),
            ),
            (
                Cbor::Integer((-3).into()),
                Cbor::Bytes(point.y().unwrap().to_vec()),
            ),
        ]);
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(self.flags() | AT);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&cbor(&cose));
        let attestation = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]);
        let client_data = client_data("webauthn.create", &options["challenge"], &self.origin);
        json!({
            "id": self.credential_id(),
            "rawId": self.credential_id(),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&cbor(&attestation)),
                "transports": ["internal"],
            },
        })
    }

    /// `navigator.credentials.get` with request options: the authentication response JSON,
    /// the counter one further.
    pub fn get(&mut self, options: &Value) -> Value {
        self.counter += 1;
        let rp_id = options["rpId"].as_str().unwrap();
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(self.flags());
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let client_data = client_data("webauthn.get", &options["challenge"], &self.origin);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: DerSignature = self.key.sign(&signed);
        json!({
            "id": self.credential_id(),
            "rawId": self.credential_id(),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.as_bytes()),
                "userHandle": b64(&self.user_handle),
            },
        })
    }
}
