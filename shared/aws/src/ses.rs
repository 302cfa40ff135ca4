//! `Mailer` on Amazon SES (API v2): notification mails from the deployment's sender
//! identity. The SDK's standard retries (3 attempts, throttling included) are the retries.

use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;
use webhooks_core::notify::{Mail, Mailed, Mailer};

pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    /// Sends as `from`, an address of an identity verified in SES (template parameter
    /// `NotificationSender`; the function's IAM policy allows that identity only).
    pub fn new(client: Client, from: &str) -> Self {
        Self {
            client,
            from: from.to_owned(),
        }
    }
}

fn utf8(text: &str) -> Result<Content, String> {
    (Content::builder().data(text).charset("UTF-8").build()).map_err(|e| e.to_string())
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<Mailed, String> {
        let message = Message::builder()
            .subject(utf8(&mail.subject)?)
            .body(Body::builder().text(utf8(&mail.text)?).build())
            .build();
        (self.client.send_email())
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(mail.to.clone()))
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| format!("SES: {}", aws_sdk_sesv2::error::DisplayErrorContext(e)))?;
        Ok(Mailed::Sent)
    }
}
