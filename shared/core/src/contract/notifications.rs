//! Contract of the `NotificationStore`: settings and mail history, per tenant.

use super::{now, tenant, Harness};
use crate::ids::{EndpointId, MessageId};
use crate::notify::{Language, Notification, NotificationSettings, NotificationStatus};
use chrono::TimeDelta;

pub async fn notification_settings_and_history(h: &Harness) {
    let n = &h.notifications;
    let (a, b) = (tenant("A"), tenant("B"));
    assert_eq!(n.settings(&a).await.unwrap(), None);
    let settings = NotificationSettings {
        recipients: vec!["ops@agence.example".into(), "dsi@agence.example".into()],
        events: vec!["WEBHOOK_ENDPOINT_DISABLED".into()],
        language: Language::En,
    };
    n.put_settings(&a, &settings).await.unwrap();
    assert_eq!(n.settings(&a).await.unwrap(), Some(settings.clone()));
    assert_eq!(n.settings(&b).await.unwrap(), None, "tenant isolation");
    let t0 = now();
    for i in 0..3 {
        let mail = Notification {
            message_id: MessageId::generate(),
            event_type: "WEBHOOK_ENDPOINT_DISABLED".into(),
            endpoint_id: EndpointId::generate().to_string(),
            recipients: settings.recipients.clone(),
            subject: format!("mail {i} é"),
            status: if i == 1 {
                NotificationStatus::Failed
            } else {
                NotificationStatus::Sent
            },
            error: (i == 1).then(|| "554 refused".to_owned()),
            created_at: t0 + TimeDelta::seconds(i),
        };
        n.record(&a, &mail).await.unwrap();
    }
    let history = n.history(&a, 2).await.unwrap();
    let subjects: Vec<_> = history.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["mail 2 é", "mail 1 é"], "newest first, limited");
    assert_eq!(history[1].error.as_deref(), Some("554 refused"));
    assert!(
        n.history(&b, 10).await.unwrap().is_empty(),
        "tenant isolation"
    );
}
