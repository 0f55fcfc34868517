use super::InvalidValue;

/// Limits for a free-text field.
#[derive(Debug, Clone, Copy)]
pub struct TextRules {
    pub max_chars: usize,
    /// Identifiers such as usernames may not contain spaces; names may.
    pub allow_spaces: bool,
}

/// A trimmed, non-empty string within a length cap and without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    pub fn parse(raw: &str, rules: TextRules) -> Result<Self, InvalidValue> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(InvalidValue("must not be empty"));
        }
        if value.chars().count() > rules.max_chars {
            return Err(InvalidValue("is too long"));
        }
        if value.chars().any(char::is_control) {
            return Err(InvalidValue("must not contain control characters"));
        }
        if !rules.allow_spaces && value.chars().any(char::is_whitespace) {
            return Err(InvalidValue("must not contain spaces"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for BoundedText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A name the caller sent (a key, a field in `fields`), as a sentence may show it: at most 64
/// characters, with backticks and control characters replaced by `?` so that the name cannot
/// close the sentence's quoting or break a log line.
pub fn shown_name(name: &str) -> String {
    name.chars()
        .take(64)
        .map(|c| if c == '`' || c.is_control() { '?' } else { c })
        .collect()
}

/// Query-string encoding of everything but unreserved characters and `,`.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: TextRules = TextRules {
        max_chars: 5,
        allow_spaces: true,
    };
    const IDENT: TextRules = TextRules {
        max_chars: 5,
        allow_spaces: false,
    };

    #[test]
    fn trims_and_caps_by_characters_not_bytes() {
        assert_eq!(BoundedText::parse("  ab ", NAME).unwrap().as_ref(), "ab");
        assert!(BoundedText::parse("ñññññ", NAME).is_ok());
        assert!(BoundedText::parse("abcdef", NAME).is_err());
    }

    #[test]
    fn refuses_empty_control_and_spaces_where_not_allowed() {
        assert!(BoundedText::parse("   ", NAME).is_err());
        assert!(BoundedText::parse("a\u{0}b", NAME).is_err());
        assert!(BoundedText::parse("a b", NAME).is_ok());
        assert!(BoundedText::parse("a b", IDENT).is_err());
    }
}
