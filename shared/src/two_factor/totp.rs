//! TOTP (RFC 6238): a secret, its parameters, the codes of a time step and the otpauth URI
//! authenticator apps read. The HOTP arithmetic (HMAC, dynamic truncation) is `totp-rs`'s;
//! which steps a code may match, and that a step logs in once, are ours (the store keeps the
//! last step used).

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::domain::percent_encode;

/// Bytes of a secret this service generates: 160 bits, RFC 4226's recommended length.
pub const SECRET_BYTES: usize = 20;
/// The shortest secret an import may carry: 80 bits, what many older services issued.
pub const MIN_SECRET_BYTES: usize = 10;
/// The longest secret an import may carry (SHA-512's block is 128 bytes; 64 is plenty).
pub const MAX_SECRET_BYTES: usize = 64;
/// Steps either side of now a code may come from: one (30 s) for clocks that drift.
pub const SKEW_STEPS: u64 = 1;

/// The HMAC a TOTP is computed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpAlgorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl TotpAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }

    fn crate_algorithm(self) -> totp_rs::Algorithm {
        match self {
            Self::Sha1 => totp_rs::Algorithm::SHA1,
            Self::Sha256 => totp_rs::Algorithm::SHA256,
            Self::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

/// How codes are made from a secret: what an authenticator app needs besides the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpParams {
    pub algorithm: TotpAlgorithm,
    /// 6 to 8 (RFC 4226).
    pub digits: u8,
    /// Seconds of a time step: 15 to 120.
    pub period: u32,
}

impl Default for TotpParams {
    /// What every authenticator app reads: SHA-1, 6 digits, 30 seconds. Enrolment here always
    /// uses these; imports may bring others.
    fn default() -> Self {
        Self {
            algorithm: TotpAlgorithm::Sha1,
            digits: 6,
            period: 30,
        }
    }
}

impl TotpParams {
    /// The parameters, when each is within its bounds.
    pub fn checked(algorithm: TotpAlgorithm, digits: u8, period: u32) -> Result<Self, String> {
        if !(6..=8).contains(&digits) {
            return Err("digits must be 6, 7 or 8".into());
        }
        if !(15..=120).contains(&period) {
            return Err("period must be between 15 and 120 seconds".into());
        }
        Ok(Self {
            algorithm,
            digits,
            period,
        })
    }
}

/// A TOTP secret. Never printed: its `Debug` says only how long it is, and its bytes are
/// wiped when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TotpSecret({} bytes)", self.0.len())
    }
}

impl TotpSecret {
    /// A new 160-bit secret from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, String> {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_BYTES]);
        super::fill_random(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A secret of `MIN_SECRET_BYTES` to `MAX_SECRET_BYTES`.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        let bytes = Zeroizing::new(bytes);
        (MIN_SECRET_BYTES..=MAX_SECRET_BYTES)
            .contains(&bytes.len())
            .then_some(Self(bytes))
    }

    /// A secret in base32 (RFC 4648), as authenticator apps and other services show it:
    /// upper or lower case, with or without padding and spaces.
    pub fn from_base32(text: &str) -> Option<Self> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_ascii_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase())
                .collect::<String>()
                .trim_end_matches('=')
                .to_owned(),
        );
        if cleaned.is_empty() || !cleaned.chars().all(|c| matches!(c, 'A'..='Z' | '2'..='7')) {
            return None;
        }
        let bytes = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, &cleaned)?;
        Self::from_bytes(bytes)
    }

    /// Base32 without padding, as otpauth URIs carry it.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(base32::encode(
            base32::Alphabet::Rfc4648 { padding: false },
            &self.0,
        ))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A secret with its parameters: what computes and checks codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totp {
    pub secret: TotpSecret,
    pub params: TotpParams,
}

impl Totp {
    /// The time step of `now_s` (seconds since the epoch).
    pub fn step_of(&self, now_s: u64) -> u64 {
        now_s / u64::from(self.params.period)
    }

    /// The code of time step `step`.
    pub fn code_at_step(&self, step: u64) -> Zeroizing<String> {
        let params = self.params;
        let totp = totp_rs::TOTP::new_unchecked(
            params.algorithm.crate_algorithm(),
            usize::from(params.digits),
            0,
            u64::from(params.period),
            self.secret.bytes().to_vec(),
        );
        Zeroizing::new(totp.generate(step.saturating_mul(u64::from(params.period))))
    }

    /// The time step whose code `code` is, among the steps of `now_s` ± [`SKEW_STEPS`]; `None`
    /// when it is none of theirs. Spaces are ignored (apps show `123 456`); anything but the
    /// right number of digits matches nothing. Each comparison takes the same time whatever the
    /// digits.
    pub fn matching_step(&self, code: &str, now_s: u64) -> Option<u64> {
        let code: Zeroizing<String> = Zeroizing::new(code.chars().filter(|c| *c != ' ').collect());
        if code.len() != usize::from(self.params.digits)
            || !code.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let now = self.step_of(now_s);
        let mut found = None;
        for step in now.saturating_sub(SKEW_STEPS)..=now.saturating_add(SKEW_STEPS) {
            let expected = self.code_at_step(step);
            if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && found.is_none() {
                found = Some(step);
            }
        }
        found
    }

    /// `otpauth://totp/<issuer>:<label>?secret=…&issuer=…&algorithm=…&digits=…&period=…`, the
    /// Key URI Format authenticator apps read (from a QR code or a link).
    pub fn otpauth_uri(&self, issuer: &str, label: &str) -> Zeroizing<String> {
        let issuer = percent_encode(issuer);
        let params = self.params;
        Zeroizing::new(format!(
            "otpauth://totp/{issuer}:{label}?secret={secret}&issuer={issuer}&algorithm={algorithm}&digits={digits}&period={period}",
            label = percent_encode(label),
            secret = self.secret.to_base32().as_str(),
            algorithm = params.algorithm.as_str(),
            digits = params.digits,
            period = params.period,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totp(secret: &[u8], algorithm: TotpAlgorithm, digits: u8, period: u32) -> Totp {
        Totp {
            secret: TotpSecret(Zeroizing::new(secret.to_vec())),
            params: TotpParams {
                algorithm,
                digits,
                period,
            },
        }
    }

    /// RFC 6238, Appendix B: the seeds are ASCII "1234567890" repeated to the hash's size.
    #[test]
    fn rfc_6238_appendix_b() {
        let seed = |len: usize| {
            b"1234567890"
                .iter()
                .copied()
                .cycle()
                .take(len)
                .collect::<Vec<u8>>()
        };
        let cases: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_111_111_111, "14050471", "67062674", "99943326"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (2_000_000_000, "69279037", "90698825", "38618901"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ];
        for (time, sha1, sha256, sha512) in cases {
            for (algorithm, len, expected) in [
                (TotpAlgorithm::Sha1, 20, sha1),
                (TotpAlgorithm::Sha256, 32, sha256),
                (TotpAlgorithm::Sha512, 64, sha512),
            ] {
                let totp = totp(&seed(len), algorithm, 8, 30);
                let step = totp.step_of(time);
                assert_eq!(
                    totp.code_at_step(step).as_str(),
                    expected,
                    "{time} {algorithm:?}"
                );
                assert_eq!(totp.matching_step(expected, time), Some(step));
            }
        }
    }

    /// RFC 4226, Appendix D: HOTP of the counters 0-9 (a TOTP whose step is the counter).
    #[test]
    fn rfc_4226_appendix_d() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        let totp = totp(b"12345678901234567890", TotpAlgorithm::Sha1, 6, 30);
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(totp.code_at_step(counter as u64).as_str(), *code);
        }
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side_only() {
        let totp = totp(b"12345678901234567890", TotpAlgorithm::Sha1, 6, 30);
        let now = 1_111_111_111;
        let step = totp.step_of(now);
        for offset in [-1i64, 0, 1] {
            let at = step.checked_add_signed(offset).unwrap();
            assert_eq!(totp.matching_step(&totp.code_at_step(at), now), Some(at));
        }
        for offset in [-3i64, -2, 2, 3] {
            let at = step.checked_add_signed(offset).unwrap();
            let code = totp.code_at_step(at);
            let near = (step - 1..=step + 1).any(|s| totp.code_at_step(s) == code);
            assert!(near || totp.matching_step(&code, now).is_none(), "{offset}");
        }
        let code = totp.code_at_step(step);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(totp.matching_step(&spaced, now), Some(step));
        for bad in ["", "12345", "1234567", "abcdef", "12345\u{0661}"] {
            assert_eq!(totp.matching_step(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn secrets_read_base32_as_apps_show_it_and_stay_out_of_debug() {
        let secret = TotpSecret::generate().unwrap();
        assert_eq!(secret.bytes().len(), 20);
        let text = secret.to_base32();
        assert_eq!(text.len(), 32);
        assert_eq!(TotpSecret::from_base32(&text), Some(secret.clone()));
        let spaced = text
            .to_lowercase()
            .chars()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(TotpSecret::from_base32(&spaced), Some(secret.clone()));
        assert!(!format!("{secret:?}").contains(text.as_str()));
        assert_eq!(
            TotpSecret::from_base32("JBSWY3DP"),
            None,
            "40 bits: too short"
        );
        assert_eq!(TotpSecret::from_base32("JBSWY3DPEHPK3PXP!"), None);
        assert_eq!(TotpSecret::from_base32(""), None);
        assert!(
            TotpSecret::from_base32("JBSWY3DPEHPK3PXP").is_some(),
            "80 bits"
        );
        assert_ne!(TotpSecret::generate().unwrap(), secret);
    }

    #[test]
    fn the_uri_is_the_key_uri_format() {
        let totp = totp(b"12345678901234567890", TotpAlgorithm::Sha1, 6, 30);
        assert_eq!(
            totp.otpauth_uri("Test Company", "ann@example.com").as_str(),
            "otpauth://totp/Test%20Company:ann%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Test%20Company&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn parameters_are_bounded() {
        assert!(TotpParams::checked(TotpAlgorithm::Sha1, 6, 30).is_ok());
        assert!(TotpParams::checked(TotpAlgorithm::Sha1, 5, 30).is_err());
        assert!(TotpParams::checked(TotpAlgorithm::Sha1, 9, 30).is_err());
        assert!(TotpParams::checked(TotpAlgorithm::Sha1, 6, 10).is_err());
        assert_eq!(TotpAlgorithm::parse("sha-256"), Some(TotpAlgorithm::Sha256));
        assert_eq!(TotpAlgorithm::parse("MD5"), None);
    }
}
