//! Outgoing e-mail: one message type and two real transports, chosen by `MAIL_TRANSPORT`.
//! - `ses`: Amazon SES v2 `SendEmail`, in AWS;
//! - `file`: one file per message under `MAIL_DIR`, for the local stack, so a developer can
//!   read what would have been sent.

mod file;
mod ses;

pub use file::FileMailer;
pub use ses::SesMailer;

/// A plain-text message.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

// The body carries a one-time token: never print it.
impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub enum Mailer {
    Ses(SesMailer),
    File(FileMailer),
}

impl Mailer {
    /// `MAIL_TRANSPORT` = `ses` or `file` (with `MAIL_DIR`); `None` when unset, for functions
    /// that send no mail.
    pub async fn from_env() -> Result<Option<Self>, String> {
        match std::env::var("MAIL_TRANSPORT").ok().as_deref() {
            None | Some("") => Ok(None),
            Some("ses") => Ok(Some(Self::Ses(SesMailer::from_env().await))),
            Some("file") => {
                let dir = std::env::var("MAIL_DIR")
                    .map_err(|_| "MAIL_TRANSPORT=file needs MAIL_DIR".to_owned())?;
                Ok(Some(Self::File(FileMailer::new(dir.into()))))
            }
            Some(other) => Err(format!(
                "MAIL_TRANSPORT `{other}` is not supported (use ses or file)"
            )),
        }
    }

    pub async fn send(&self, message: &Message) -> Result<(), String> {
        match self {
            Self::Ses(ses) => ses.send(message).await,
            Self::File(file) => file.send(message).await,
        }
    }
}

/// `MAIL_FROM`: the sender used when a company configures none.
pub fn default_sender() -> String {
    std::env::var("MAIL_FROM")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "no-reply@idp.localhost".into())
}
