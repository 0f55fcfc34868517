//! The `resource` word of the contract's envelopes: which kind of thing an answer is about.

/// The `resource` word of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Profile,
    CompanyConfig,
    RegisterType,
    ProfileCredential,
    ProfileCredentials,
    ChangePassword,
    RequestChangePassword,
    ConfirmChangePassword,
    ProfileEvents,
    CompanyEvents,
    TwoFactor,
    PasskeyLogin,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Profile => "Profile",
            Self::CompanyConfig => "Company Config",
            Self::RegisterType => "Register Type",
            Self::ProfileCredential => "Profile Credential",
            Self::ProfileCredentials => "Profile Credentials",
            Self::ChangePassword => "Change Password",
            Self::RequestChangePassword => "Request Change Password",
            Self::ConfirmChangePassword => "Confirm Change Password",
            Self::ProfileEvents => "Profile Events",
            Self::CompanyEvents => "Company Events",
            Self::TwoFactor => "Two Factor",
            Self::PasskeyLogin => "Passkey Login",
        }
    }
}
