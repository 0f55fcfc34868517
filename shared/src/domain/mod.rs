//! Domain types that parse their input once, so the rest of the code can trust them.

mod birthday;
mod canonical;
mod company_id;
mod date_bound;
mod email;
mod field;
mod nationality;
mod phone_number;
mod profile_attributes;
mod profile_id;
mod text;

pub use birthday::Birthday;
pub use canonical::{canonical, identifier_text, is_format};
pub use company_id::CompanyId;
pub use date_bound::{BoundSide, format_rfc3339_ms, parse_date_bound};
pub use email::Email;
pub use field::ProfileField;
pub use nationality::Nationality;
pub use phone_number::PhoneNumber;
pub use profile_attributes::{ProfileAttributes, parse_value};
pub use profile_id::ProfileId;
pub use text::{BoundedText, TextRules, percent_encode, shown_name};

/// Why a value was refused; the sentence a caller sees names the field and this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub &'static str);
