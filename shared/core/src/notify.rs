//! Tenant notifications: who gets a mail about which operational event, the history of
//! mails sent, the mail text (French or English), and the service that sends one when an
//! operational event is accepted. A mail never blocks or fails a delivery.

mod mail;

pub use mail::render;

use crate::error::{CoreError, FieldError, StoreError};
use crate::ids::{MessageId, TenantId};
use crate::model::{now, Message};
use crate::operational::{OperationalData, OPERATIONAL_TYPES};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// At most this many recipients per tenant.
pub const MAX_RECIPIENTS: usize = 10;
/// Most mails one page of the history lists.
pub const MAX_HISTORY: usize = 100;

/// The language of a tenant's mails.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Fr,
    En,
}

/// A tenant's notification settings (`PUT /v1/notifications`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// Up to 10 addresses.
    #[cfg_attr(feature = "openapi", schema(max_items = 10, example = json!(["ops@agence.example"])))]
    pub recipients: Vec<String>,
    /// Which operational event types are mailed.
    #[cfg_attr(feature = "openapi", schema(example = json!(["WEBHOOK_ENDPOINT_FAILING", "WEBHOOK_ENDPOINT_DISABLED"])))]
    pub events: Vec<String>,
    #[serde(default)]
    pub language: Language,
}

impl NotificationSettings {
    /// Checks and normalises the settings (addresses trimmed, lists de-duplicated).
    pub fn validated(mut self) -> Result<Self, CoreError> {
        let mut errors = Vec::new();
        if self.recipients.len() > MAX_RECIPIENTS {
            errors.push(
                FieldError::new(
                    "recipients",
                    "recipients.too_many",
                    format!("at most {MAX_RECIPIENTS} addresses"),
                )
                .with("max", MAX_RECIPIENTS),
            );
        }
        for (i, r) in self.recipients.iter_mut().enumerate() {
            *r = r.trim().to_owned();
            if !is_plausible_address(r) {
                errors.push(FieldError::new(
                    format!("recipients[{i}]"),
                    "recipients.invalid_email",
                    "must be an email address",
                ));
            }
        }
        for (i, e) in self.events.iter().enumerate() {
            if !OPERATIONAL_TYPES.contains(&e.as_str()) {
                errors.push(
                    FieldError::new(
                        format!("events[{i}]"),
                        "events.unknown",
                        format!("must be one of {}", OPERATIONAL_TYPES.join(", ")),
                    )
                    .with("allowed", OPERATIONAL_TYPES.join(", ")),
                );
            }
        }
        if !errors.is_empty() {
            return Err(CoreError::Validation(errors));
        }
        dedup_keep_order(&mut self.recipients);
        dedup_keep_order(&mut self.events);
        Ok(self)
    }

    fn mails(&self, event_type: &str) -> bool {
        !self.recipients.is_empty() && self.events.iter().any(|e| e == event_type)
    }
}

fn dedup_keep_order(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.to_lowercase()));
}

/// One `local@domain.tld` address, with no spaces or controls. Deliverability is the mail
/// server's business; this catches typos.
fn is_plausible_address(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    s.chars().count() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
}

/// What became of a notification mail.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Handed to the mail service.
    Sent,
    /// No mail service is configured (local stack without SMTP): written to the log only.
    Logged,
    /// Could not be sent after retries; `error` says why.
    Failed,
}

/// One mail of the history (`GET /v1/notifications/history`), keyed by the operational
/// event's message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub message_id: MessageId,
    pub event_type: String,
    pub endpoint_id: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub status: NotificationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

/// How a mailer dealt with a mail it did not refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mailed {
    Sent,
    Logged,
}

/// Sends mails (SES on AWS, SMTP or the log locally). Retries transient failures itself;
/// an `Err` is final and its text is shown in the history (no secret in it).
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<Mailed, String>;
}

/// Tenants' notification settings and the history of their mails.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    async fn settings(&self, tenant: &TenantId)
        -> Result<Option<NotificationSettings>, StoreError>;
    async fn put_settings(
        &self,
        tenant: &TenantId,
        settings: &NotificationSettings,
    ) -> Result<(), StoreError>;
    /// Adds `n` to the history (replacing an entry of the same message).
    async fn record(&self, tenant: &TenantId, n: &Notification) -> Result<(), StoreError>;
    /// The tenant's latest mails, newest first, retained as long as messages.
    async fn history(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError>;
}

/// Writes mails to the log instead of sending them: a deployment with no mail service
/// configured. The history shows such mails as [`NotificationStatus::Logged`].
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, mail: &Mail) -> Result<Mailed, String> {
        tracing::info!(to = ?mail.to, subject = %mail.subject, text = %mail.text, "notification mail (no mail service configured: logged only)");
        Ok(Mailed::Logged)
    }
}

/// Mails a tenant's recipients about the operational events they chose.
#[derive(Clone)]
pub struct NotifyService {
    store: Arc<dyn NotificationStore>,
    mailer: Arc<dyn Mailer>,
}

impl NotifyService {
    /// Settings and history in `store`; mails through `mailer` ([`LogMailer`] where mails
    /// are never sent, e.g. the api function, which only reads and writes settings).
    pub fn new(store: Arc<dyn NotificationStore>, mailer: Arc<dyn Mailer>) -> Self {
        Self { store, mailer }
    }

    /// The tenant's settings; none saved yet reads as no recipient.
    pub async fn settings(&self, tenant: &TenantId) -> Result<NotificationSettings, CoreError> {
        Ok(self.store.settings(tenant).await?.unwrap_or_default())
    }

    pub async fn save_settings(
        &self,
        tenant: &TenantId,
        settings: NotificationSettings,
    ) -> Result<NotificationSettings, CoreError> {
        let settings = settings.validated()?;
        self.store.put_settings(tenant, &settings).await?;
        Ok(settings)
    }

    pub async fn history(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<Notification>, CoreError> {
        if !(1..=MAX_HISTORY).contains(&limit) {
            return Err(FieldError::range("limit", 1, MAX_HISTORY as u64).into());
        }
        Ok(self.store.history(tenant, limit).await?)
    }

    /// Mails the tenant about the accepted operational `message` if its settings ask for
    /// it, and records the outcome. Never fails: trouble is logged and, when a mail was
    /// due, recorded as failed.
    pub async fn notify(&self, message: &Message) {
        if !OPERATIONAL_TYPES.contains(&message.event_type.as_str()) {
            return;
        }
        let tenant = &message.tenant;
        let settings = match self.store.settings(tenant).await {
            Ok(Some(s)) if s.mails(&message.event_type) => s,
            Ok(_) => return,
            Err(e) => {
                tracing::error!(tenant = %tenant, message_id = %message.id, error = %e, "notification settings unreadable: no mail");
                return;
            }
        };
        let Some(data) = event_data(message) else {
            tracing::error!(tenant = %tenant, message_id = %message.id, "operational event without its data: no mail");
            return;
        };
        let mail = render(&message.event_type, &data, &settings);
        let (status, error) = match self.mailer.send(&mail).await {
            Ok(Mailed::Sent) => (NotificationStatus::Sent, None),
            Ok(Mailed::Logged) => (NotificationStatus::Logged, None),
            Err(e) => (NotificationStatus::Failed, Some(e)),
        };
        let n = Notification {
            message_id: message.id.clone(),
            event_type: message.event_type.clone(),
            endpoint_id: data.endpoint_id.to_string(),
            recipients: mail.to,
            subject: mail.subject,
            status,
            error,
            created_at: now(),
        };
        tracing::info!(tenant = %tenant, message_id = %message.id, endpoint_id = %n.endpoint_id, status = ?n.status, error = n.error.as_deref(), "notification mail");
        if let Err(e) = self.store.record(tenant, &n).await {
            tracing::error!(tenant = %tenant, message_id = %message.id, error = %e, "notification history not recorded");
        }
    }
}

/// The `event_data` of an operational message, from its outbound body.
fn event_data(message: &Message) -> Option<OperationalData> {
    #[derive(Deserialize)]
    struct Body {
        event_data: OperationalData,
    }
    serde_json::from_slice::<Body>(&message.body)
        .ok()
        .map(|b| b.event_data)
}

#[cfg(test)]
mod tests;
