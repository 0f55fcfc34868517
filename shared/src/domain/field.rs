use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The profile fields a caller may send, in the order the API returns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileField {
    Nin,
    Username,
    PhoneNumber,
    Email,
    Origin,
    Name,
    Lastname,
    Birthday,
    Nationality,
    Timezone,
}

impl ProfileField {
    pub const ALL: [ProfileField; 10] = [
        Self::Nin,
        Self::Username,
        Self::PhoneNumber,
        Self::Email,
        Self::Origin,
        Self::Name,
        Self::Lastname,
        Self::Birthday,
        Self::Nationality,
        Self::Timezone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nin => "nin",
            Self::Username => "username",
            Self::PhoneNumber => "phone_number",
            Self::Email => "email",
            Self::Origin => "origin",
            Self::Name => "name",
            Self::Lastname => "lastname",
            Self::Birthday => "birthday",
            Self::Nationality => "nationality",
            Self::Timezone => "timezone",
        }
    }

    /// Fields that can be part of a unique identifier set.
    pub fn is_identifier(self) -> bool {
        matches!(
            self,
            Self::Nin | Self::Username | Self::PhoneNumber | Self::Email | Self::Origin
        )
    }

    /// `origin` only scopes another identifier (e.g. `email`+`origin`); it never identifies alone.
    pub fn identifies_alone(self) -> bool {
        self.is_identifier() && self != Self::Origin
    }
}

impl fmt::Display for ProfileField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField;

impl FromStr for ProfileField {
    type Err = UnknownField;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|field| field.as_str() == s)
            .ok_or(UnknownField)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for field in ProfileField::ALL {
            assert_eq!(field.as_str().parse::<ProfileField>(), Ok(field));
            assert_eq!(
                serde_json::to_value(field).unwrap(),
                serde_json::Value::from(field.as_str())
            );
        }
        assert!("password".parse::<ProfileField>().is_err());
        assert!("Email".parse::<ProfileField>().is_err());
    }
}
