//! Key material a deployment gives a function: a Secrets Manager secret in AWS (read once, in
//! the init phase), or a file of hexadecimal locally (a file, not the value, since the local
//! emulator logs its environment). The cursor key and the second factors' sealing key are read
//! so.

use zeroize::Zeroizing;

use crate::sdk::non_empty;

/// The bytes of the file named by `file_var` (hexadecimal), else of the secret named by
/// `arn_var` (its string, as bytes); `None` when neither variable is set.
pub async fn from_env(
    file_var: &str,
    arn_var: &str,
    what: &str,
) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
    if let Some(path) = non_empty(file_var) {
        let text = Zeroizing::new(
            std::fs::read_to_string(&path).map_err(|e| format!("{file_var} {path}: {e}"))?,
        );
        return decode_hex(text.trim())
            .map(|bytes| Some(Zeroizing::new(bytes)))
            .ok_or(format!("{file_var} must hold hexadecimal"));
    }
    let Some(arn) = non_empty(arn_var) else {
        return Ok(None);
    };
    let config = crate::store::with_bounds(crate::sdk::config_loader())
        .load()
        .await;
    let secret = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot read {what}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(e)
            )
        })?;
    let text = Zeroizing::new(secret.secret_string.unwrap_or_default());
    Ok(Some(Zeroizing::new(text.as_bytes().to_vec())))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
