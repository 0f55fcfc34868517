//! Company configuration: the rules each tenant registers, identifies and logs in profiles by.

mod cache;
mod config;
mod identifier;
mod policies;

pub use cache::CompanyCache;
pub use config::{
    Authenticator, CompanyConfig, ConfigError, IdentifierSet, LoginForm, RegisterPair, RegisterType,
};
pub use identifier::Identifier;
pub use policies::{
    AccessType, AuditSettings, LockoutPolicy, PasskeySettings, PasswordChangeSettings,
    PasswordPolicy, TwoFactorSettings, UserVerification,
};
