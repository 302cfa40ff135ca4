use super::*;
use crate::ids::EndpointId;
use crate::operational::{
    DisabledReason, LastError, Links, ENDPOINT_DISABLED, ENDPOINT_FAILING, MESSAGE_FAILED,
};
use bytes::Bytes;
use std::sync::Mutex;

fn settings(language: Language, events: &[&str]) -> NotificationSettings {
    NotificationSettings {
        recipients: vec!["ops@agence.example".into()],
        events: events.iter().map(|s| s.to_string()).collect(),
        language,
    }
}

fn data() -> OperationalData {
    let at = DateTime::from_timestamp(1_764_583_200, 0).unwrap(); // 2025-12-01 10:00 UTC
    serde_json::from_value(serde_json::json!({
        "endpoint_id": EndpointId::generate(),
        "endpoint_url": "https://erp.agence.example/hooks",
        "endpoint_description": "ERP paie",
        "failing_since": at,
        "disable_at": at + chrono::TimeDelta::days(5),
        "last_error": LastError { code: "http_status".into(), status_code: Some(401), at },
        "links": Links { endpoint: "https://hooks.example/#/endpoints/ep_1".into(), message: None },
    }))
    .unwrap()
}

#[test]
fn settings_are_checked_and_normalised() {
    let ok = NotificationSettings {
        recipients: vec![" a@b.fr ".into(), "A@b.fr".into()],
        events: vec![ENDPOINT_FAILING.into(), ENDPOINT_FAILING.into()],
        language: Language::En,
    }
    .validated()
    .unwrap();
    assert_eq!(ok.recipients, ["a@b.fr"]);
    assert_eq!(ok.events, [ENDPOINT_FAILING]);
    // (recipients, events) → failing fields
    let eleven: Vec<String> = (0..11).map(|i| format!("u{i}@b.fr")).collect();
    let table: [(Vec<String>, Vec<&str>, Vec<&str>); 4] = [
        (vec!["nope".into()], vec![], vec!["recipients[0]"]),
        (
            vec!["a@b".into(), "x y@b.fr".into()],
            vec![],
            vec!["recipients[0]", "recipients[1]"],
        ),
        (vec![], vec!["INVOICE_VALIDATED"], vec!["events[0]"]),
        (eleven, vec![], vec!["recipients"]),
    ];
    for (recipients, events, want) in table {
        let s = NotificationSettings {
            recipients,
            events: events.iter().map(|s| s.to_string()).collect(),
            language: Language::Fr,
        };
        match s.validated() {
            Err(CoreError::Validation(errors)) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, want);
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}

#[test]
fn mails_name_the_endpoint_the_error_in_words_and_what_to_do() {
    let d = data();
    // (type, language, reason) → (subject part, body parts)
    let table = [
        (
            ENDPOINT_FAILING,
            Language::Fr,
            None,
            "Livraisons en échec vers « ERP paie »",
            vec![
                "échouent depuis le 01/12/2025 à 10:00 UTC",
                "désactivé automatiquement le 06/12/2025",
                "refusé notre signature",
                "Que faire : Corrigez",
                "https://hooks.example/#/endpoints/ep_1",
            ],
        ),
        (
            ENDPOINT_FAILING,
            Language::En,
            None,
            "Deliveries to \"ERP paie\" are failing",
            vec![
                "failed since 2025-12-01 at 10:00 UTC",
                "refused our signature",
                "What to do: Fix",
            ],
        ),
        (
            ENDPOINT_DISABLED,
            Language::Fr,
            Some(DisabledReason::Failing),
            "« ERP paie » désactivé",
            vec![
                "désactivé automatiquement : aucune livraison",
                "réactivez le point de terminaison",
            ],
        ),
        (
            ENDPOINT_DISABLED,
            Language::En,
            Some(DisabledReason::Manual),
            "Endpoint \"ERP paie\" disabled",
            vec!["disabled by an administrator"],
        ),
    ];
    for (ty, lang, reason, subject, parts) in table {
        let d = OperationalData {
            reason,
            ..d.clone()
        };
        let mail = render(ty, &d, &settings(lang, &[ty]));
        assert_eq!(mail.to, ["ops@agence.example"]);
        assert!(
            mail.subject.contains(subject),
            "{ty} {lang:?}: {}",
            mail.subject
        );
        for p in parts {
            assert!(
                mail.text.contains(p),
                "{ty} {lang:?} lacks {p:?}:\n{}",
                mail.text
            );
        }
    }
    let failed = OperationalData {
        message_id: Some("msg_1".into()),
        message_event_type: Some("INVOICE_VALIDATED".into()),
        attempts: Some(5),
        ..d
    };
    let mail = render(MESSAGE_FAILED, &failed, &settings(Language::Fr, &[]));
    assert!(
        mail.subject.contains("Message INVOICE_VALIDATED non livré"),
        "{}",
        mail.subject
    );
    assert!(mail
        .text
        .contains("(identifiant msg_1) n’a pas pu être livré après 5"));
}

#[derive(Default)]
struct Fakes {
    settings: Mutex<Option<NotificationSettings>>,
    history: Mutex<Vec<Notification>>,
    mails: Mutex<Vec<Mail>>,
    fail: bool,
}

#[async_trait]
impl NotificationStore for Fakes {
    async fn settings(&self, _: &TenantId) -> Result<Option<NotificationSettings>, StoreError> {
        Ok(self.settings.lock().unwrap().clone())
    }
    async fn put_settings(&self, _: &TenantId, s: &NotificationSettings) -> Result<(), StoreError> {
        *self.settings.lock().unwrap() = Some(s.clone());
        Ok(())
    }
    async fn record(&self, _: &TenantId, n: &Notification) -> Result<(), StoreError> {
        self.history.lock().unwrap().push(n.clone());
        Ok(())
    }
    async fn history(&self, _: &TenantId, _: usize) -> Result<Vec<Notification>, StoreError> {
        Ok(self.history.lock().unwrap().clone())
    }
}

#[async_trait]
impl Mailer for Fakes {
    async fn send(&self, mail: &Mail) -> Result<Mailed, String> {
        if self.fail {
            return Err("554 rejected".into());
        }
        self.mails.lock().unwrap().push(mail.clone());
        Ok(Mailed::Sent)
    }
}

fn message(event_type: &str) -> Message {
    let body = serde_json::json!({"event_type": event_type, "event_data": data()});
    Message {
        id: MessageId::generate(),
        tenant: TenantId::parse("ENS1").unwrap(),
        event_type: event_type.into(),
        event_id: None,
        body: Bytes::from(serde_json::to_vec(&body).unwrap()),
        created_at: now(),
        endpoints: vec![],
    }
}

#[tokio::test]
async fn only_chosen_events_are_mailed_and_every_outcome_is_recorded() {
    for fail in [false, true] {
        let fakes = Arc::new(Fakes {
            fail,
            ..Fakes::default()
        });
        let service = NotifyService::new(fakes.clone(), fakes.clone());
        let tenant = TenantId::parse("ENS1").unwrap();
        service.notify(&message(ENDPOINT_FAILING)).await; // no settings yet
        service
            .save_settings(&tenant, settings(Language::Fr, &[ENDPOINT_FAILING]))
            .await
            .unwrap();
        service.notify(&message(ENDPOINT_DISABLED)).await; // not chosen
        service.notify(&message("INVOICE_VALIDATED")).await; // not operational
        service.notify(&message(ENDPOINT_FAILING)).await;
        let history = service.history(&tenant, 10).await.unwrap();
        assert_eq!(history.len(), 1, "fail={fail}");
        let want = if fail {
            NotificationStatus::Failed
        } else {
            NotificationStatus::Sent
        };
        assert_eq!(history[0].status, want);
        assert_eq!(history[0].error.is_some(), fail);
        assert_eq!(fakes.mails.lock().unwrap().len(), usize::from(!fail));
    }
}
