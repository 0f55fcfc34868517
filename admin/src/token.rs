use std::path::Path;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::json;

/// Prints a JWT for `company`, signed with the Ed25519 key the local stack generated.
pub fn print(company: &str, key_path: &Path, ttl: u64) -> Result<(), String> {
    let pem = std::fs::read(key_path).map_err(|e| {
        format!(
            "{}: {e} (run `make dev` or `make keys` first)",
            key_path.display()
        )
    })?;
    let key = EncodingKey::from_ed_pem(&pem).map_err(|e| format!("{}: {e}", key_path.display()))?;
    let now = get_current_timestamp();
    let claims = json!({
        "company_uid": company,
        "iat": now,
        "exp": now + ttl,
        "iss": "idp-local",
        "scope": "profiles",
        // The calling application, as the audit trail's events name it.
        "client_id": "idp-local",
    });
    let token = encode(&Header::new(Algorithm::EdDSA), &claims, &key).map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}
