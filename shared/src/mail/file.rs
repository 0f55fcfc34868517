use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use super::Message;

/// Writes each message as one RFC 5322-style text file: headers, a blank line, the body.
#[derive(Debug)]
pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub async fn send(&self, message: &Message) -> Result<(), String> {
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| format!("mail dir {}: {e}", self.dir.display()))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0);
        let name = format!("{now}-{}.eml", uuid::Uuid::new_v4().simple());
        let text = format!(
            "From: {}\nTo: {}\nSubject: {}\nContent-Type: text/plain; charset=utf-8\n\n{}\n",
            message.from, message.to, message.subject, message.body
        );
        // Write then rename, so a reader never sees half a message.
        let partial = self.dir.join(format!(".{name}.partial"));
        tokio::fs::write(&partial, text)
            .await
            .map_err(|e| format!("writing mail: {e}"))?;
        tokio::fs::rename(&partial, self.dir.join(&name))
            .await
            .map_err(|e| format!("writing mail: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_one_readable_file_per_message() {
        let dir = std::env::temp_dir().join(format!("idp-mail-{}", uuid::Uuid::new_v4()));
        let mailer = FileMailer::new(dir.clone());
        let message = Message {
            from: "no-reply@x.cl".into(),
            to: "ana@x.cl".into(),
            subject: "Code".into(),
            body: "Your code: ABC".into(),
        };
        mailer.send(&message).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(text.starts_with("From: no-reply@x.cl\nTo: ana@x.cl\nSubject: Code\n"));
        assert!(text.ends_with("\n\nYour code: ABC\n"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
