//! The local stack's mailer: SMTP through lettre, when `WEBHOOKS_SMTP_URL` is set (else
//! mails go to the log: `webhooks_core::notify::LogMailer`).

use async_trait::async_trait;
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use webhooks_core::notify::{Mail, Mailed, Mailer};

/// Waits before the second and third tries of a mail the server did not take for good.
const RETRY_DELAYS: [Duration; 2] = [Duration::from_millis(500), Duration::from_secs(2)];

/// Sends through an SMTP server (`smtp://host:port`, `smtps://user:pass@host`, or
/// `smtp://…?tls=required`; lettre's URL syntax).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// The SMTP settings could not be used; the message never includes the URL (it may hold a
/// password).
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("WEBHOOKS_SMTP_URL is not a valid SMTP URL: {0}")]
    Url(String),
    #[error("WEBHOOKS_MAIL_FROM is not a valid address: {0}")]
    From(String),
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<Self, MailConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailConfigError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        let from = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailConfigError::From(e.to_string()))?;
        Ok(Self { transport, from })
    }

    fn message(&self, mail: &Mail) -> Result<Message, String> {
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN);
        for to in &mail.to {
            b = b.to(to.parse().map_err(|e| format!("recipient {to}: {e}"))?);
        }
        b.body(mail.text.clone()).map_err(|e| e.to_string())
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<Mailed, String> {
        let message = self.message(mail)?;
        let mut delays = RETRY_DELAYS.iter();
        loop {
            match self.transport.send(message.clone()).await {
                Ok(_) => return Ok(Mailed::Sent),
                Err(e) if e.is_permanent() => return Err(format!("refused: {e}")),
                Err(e) => match delays.next() {
                    Some(d) => {
                        tracing::warn!(error = %e, "notification mail not sent, retrying");
                        tokio::time::sleep(*d).await;
                    }
                    None => {
                        return Err(format!(
                            "not sent after {} tries: {e}",
                            RETRY_DELAYS.len() + 1
                        ))
                    }
                },
            }
        }
    }
}
