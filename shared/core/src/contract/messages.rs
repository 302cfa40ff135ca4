//! Contract of the `MessageStore`: idempotency by event id, tenant isolation, lookup by
//! event id.

use super::{message, tenant, Harness};
use crate::ids::EndpointId;
use crate::model::Message;
use crate::ports::Inserted;

pub async fn messages_and_idempotency(h: &Harness) {
    let s = &h.stores.messages;
    let (a, b) = (tenant("A"), tenant("B"));
    let m1 = message(&a, None);
    assert!(matches!(
        s.insert(&m1).await.unwrap(),
        Inserted::Created { .. }
    ));
    assert_eq!(s.get(&a, &m1.id).await.unwrap().as_ref(), Some(&m1));
    assert_eq!(s.get(&b, &m1.id).await.unwrap(), None);
    // Without an event id, the same content is simply another message.
    assert!(matches!(
        s.insert(&message(&a, None)).await.unwrap(),
        Inserted::Created { .. }
    ));

    let m2 = message(&a, Some("evt-1"));
    let Inserted::Created { fanned_out } = s.insert(&m2).await.unwrap() else {
        panic!("a new event id is created")
    };
    // A duplicate tells whether the first one's fan-out is done, if the store tracks it.
    let m3 = message(&a, Some("evt-1"));
    assert!(matches!(
        s.insert(&m3).await.unwrap(),
        Inserted::Duplicate { id, fanned_out: f } if id == m2.id && f.is_none_or(|f| f == fanned_out)
    ));
    // (Within one millisecond the same event gets the same id: then it reads as the first.)
    assert_eq!(
        s.get(&a, &m3.id).await.unwrap(),
        (m3.id == m2.id).then(|| m2.clone()),
        "a duplicate is not stored"
    );
    s.mark_fanned_out(&a, &m2.id).await.unwrap();
    // A store may not track the fan-out (then the service completes it idempotently).
    assert!(matches!(
        s.insert(&message(&a, Some("evt-1"))).await.unwrap(),
        Inserted::Duplicate { id, .. } if id == m2.id
    ));
    // The same key from another tenant is unrelated.
    assert!(matches!(
        s.insert(&message(&b, Some("evt-1"))).await.unwrap(),
        Inserted::Created { .. }
    ));
}

/// A message is found by its publisher's `event_id`, with the endpoints it was fanned out
/// to; only by its own tenant.
pub async fn messages_are_found_by_event_id(h: &Harness) {
    let s = &h.stores.messages;
    let (a, b) = (tenant("A"), tenant("B"));
    let m = Message {
        endpoints: vec![EndpointId::generate(), EndpointId::generate()],
        ..message(&a, Some("FA-2026-001234"))
    };
    if let Inserted::Created { fanned_out: true } = s.insert(&m).await.unwrap() {
        // The store queued the fan-out with the message: a task for each endpoint.
        let mut queued: Vec<_> = (h.probe.drain().await.into_iter())
            .map(|t| (t.message_id, t.endpoint_id))
            .collect();
        queued.sort();
        let mut expected: Vec<_> = (m.endpoints.iter())
            .map(|e| (m.id.clone(), e.clone()))
            .collect();
        expected.sort();
        assert_eq!(queued, expected);
    }
    let plain = message(&a, None);
    s.insert(&plain).await.unwrap();
    assert_eq!(
        s.find_event(&a, "FA-2026-001234").await.unwrap(),
        Some(m.clone())
    );
    assert_eq!(s.get(&a, &m.id).await.unwrap(), Some(m));
    assert_eq!(s.find_event(&a, "FA-2026-001235").await.unwrap(), None);
    assert_eq!(
        s.find_event(&b, "FA-2026-001234").await.unwrap(),
        None,
        "another tenant"
    );
}
