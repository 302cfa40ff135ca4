//! Contract of the `EndpointStore` and the `SecretStore`: tenant isolation, optimistic
//! updates, the fan-out's subscription query, secrets by generation, failing-run announcements.

use super::{endpoint, now, tenant, Harness};
use crate::error::StoreError;
use crate::ids::EndpointId;
use crate::model::Endpoint;
use chrono::TimeDelta;
use std::collections::HashSet;

pub async fn endpoints_crud_and_isolation(h: &Harness) {
    let s = &h.stores.endpoints;
    let (a, b) = (tenant("A"), tenant("B"));
    let ep1 = endpoint(&a, &["INVOICE_VALIDATED"], true);
    let ep2 = endpoint(&b, &["CONTRACT_CREATED"], true);
    s.create(&ep1).await.unwrap();
    s.create(&ep2).await.unwrap();
    assert!(matches!(s.create(&ep1).await, Err(StoreError::Conflict)));

    assert_eq!(s.get(&a, &ep1.id).await.unwrap().as_ref(), Some(&ep1));
    assert_eq!(
        s.get(&b, &ep1.id).await.unwrap(),
        None,
        "tenant B must not see A's endpoint"
    );
    assert_eq!(s.list(&a).await.unwrap(), vec![ep1.clone()]);
    assert_eq!(s.list(&b).await.unwrap(), vec![ep2.clone()]);

    assert!(
        !s.delete(&b, &ep1.id).await.unwrap(),
        "B cannot delete A's endpoint"
    );
    assert!(s.get(&a, &ep1.id).await.unwrap().is_some());
    assert!(s.delete(&a, &ep1.id).await.unwrap());
    assert_eq!(s.get(&a, &ep1.id).await.unwrap(), None);
    assert!(!s.delete(&a, &ep1.id).await.unwrap());
    assert!(s.list(&a).await.unwrap().is_empty());
}

pub async fn endpoint_update_is_optimistic(h: &Harness) {
    let s = &h.stores.endpoints;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    s.create(&ep).await.unwrap();

    let mut v2 = ep.clone();
    v2.version = 2;
    v2.url = "https://new.example/hook".into();
    v2.event_types = vec!["CONTRACT_CREATED".into(), "INVOICE_PAID".into()];
    v2.enabled = false;
    v2.headers = [
        ("authorization".to_owned(), "Bearer abc".to_owned()),
        ("x-trace".to_owned(), "1".to_owned()),
    ]
    .into();
    v2.disabled_reason = Some("failing for 5 days".into());
    v2.filter = None;
    v2.updated_at = now();
    s.update(&v2).await.unwrap();

    let mut stale = ep.clone();
    stale.version = 2;
    stale.description = "lost update".into();
    assert!(matches!(s.update(&stale).await, Err(StoreError::Conflict)));
    assert_eq!(s.get(&a, &ep.id).await.unwrap(), Some(v2.clone()));

    let mut other_tenant = v2.clone();
    other_tenant.tenant = tenant("B");
    other_tenant.version = 3;
    assert!(matches!(
        s.update(&other_tenant).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(s.get(&a, &ep.id).await.unwrap(), Some(v2));
}

pub async fn endpoint_disable_touches_only_its_fields(h: &Harness) {
    let s = &h.stores.endpoints;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    s.create(&ep).await.unwrap();
    let at = now();
    s.disable(&a, &ep.id, 2, "failing for 5 days", at)
        .await
        .unwrap();
    let got = s.get(&a, &ep.id).await.unwrap().unwrap();
    let expected = Endpoint {
        enabled: false,
        disabled_reason: Some("failing for 5 days".into()),
        version: 2,
        updated_at: at,
        ..ep.clone()
    };
    assert_eq!(got, expected, "url, types, headers and counters untouched");
    // A stale version, or another tenant, changes nothing.
    assert!(matches!(
        s.disable(&a, &ep.id, 2, "again", now()).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        s.disable(&tenant("B"), &ep.id, 3, "foreign", now()).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(s.get(&a, &ep.id).await.unwrap(), Some(expected));
}

pub async fn subscribed_filters_type_and_tenant(h: &Harness) {
    let s = &h.stores.endpoints;
    let (a, b) = (tenant("A"), tenant("B"));
    let ep1 = endpoint(&a, &["INVOICE_VALIDATED", "CONTRACT_CREATED"], true);
    let ep2 = endpoint(&a, &["CONTRACT_CREATED"], false);
    let ep3 = endpoint(&a, &["INVOICE_VALIDATED"], true);
    let ep4 = endpoint(&b, &["INVOICE_VALIDATED"], true);
    let ep5 = endpoint(&a, &["INVOICE_VALIDATED_LATE"], true);
    for e in [&ep1, &ep2, &ep3, &ep4, &ep5] {
        s.create(e).await.unwrap();
    }
    let ids = |v: Vec<Endpoint>| v.into_iter().map(|e| e.id).collect::<HashSet<_>>();
    assert_eq!(
        ids(s.subscribed(&a, "INVOICE_VALIDATED").await.unwrap()),
        HashSet::from([ep1.id.clone(), ep3.id.clone()])
    );
    // Disabled endpoints are part of the fan-out (their messages are kept as failed).
    assert_eq!(
        ids(s.subscribed(&a, "CONTRACT_CREATED").await.unwrap()),
        HashSet::from([ep1.id.clone(), ep2.id.clone()])
    );
    assert_eq!(
        ids(s.subscribed(&b, "INVOICE_VALIDATED").await.unwrap()),
        HashSet::from([ep4.id.clone()])
    );
    assert!(s.subscribed(&a, "INVOICE").await.unwrap().is_empty());

    // Changing the subscription changes the fan-out.
    let mut ep3b = ep3.clone();
    ep3b.version = 2;
    ep3b.event_types = vec!["ORDER_CREATED".into()];
    s.update(&ep3b).await.unwrap();
    assert_eq!(
        ids(s.subscribed(&a, "INVOICE_VALIDATED").await.unwrap()),
        HashSet::from([ep1.id.clone()])
    );
    assert_eq!(
        ids(s.subscribed(&a, "ORDER_CREATED").await.unwrap()),
        HashSet::from([ep3.id])
    );
}

pub async fn secrets_by_generation(h: &Harness) {
    let s = &h.stores.secrets;
    let (a, b) = (tenant("A"), tenant("B"));
    let (ep, other) = (EndpointId::generate(), EndpointId::generate());
    let first = s.issue(&a, &ep, 1).await.unwrap();
    assert_eq!(
        s.issue(&a, &ep, 1).await.unwrap(),
        first,
        "issuing a generation again gives the same secret"
    );
    let second = s.issue(&a, &ep, 2).await.unwrap();
    assert_ne!(second, first);
    assert_eq!(
        s.get(&a, &ep, &[2, 1]).await.unwrap(),
        Some(vec![second.clone(), first.clone()])
    );
    assert_ne!(
        s.issue(&a, &other, 1).await.unwrap(),
        first,
        "each endpoint its own"
    );
    // Another tenant naming the same endpoint id never gets its secret.
    let foreign = s.get(&b, &ep, &[1]).await.unwrap();
    assert!(
        foreign.is_none_or(|keys| keys[0] != first),
        "secrets are scoped by tenant"
    );
    s.delete(&a, &ep).await.unwrap();
    s.delete(&a, &ep).await.unwrap();
}

pub async fn failing_runs_are_announced_once(h: &Harness) {
    let st = &h.stores;
    let (a, b) = (tenant("A"), tenant("B"));
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let t0 = now();
    let hour = TimeDelta::hours(1);
    // (tenant, run start) → newly announced
    let table = [
        (&a, t0, true),
        (&a, t0, false),
        (&a, t0 - hour, false),
        (&b, t0 + hour, false),
        (&a, t0 + hour, true),
    ];
    for (t, since, want) in table {
        let got = st
            .endpoints
            .announce_failing(t, &ep.id, since)
            .await
            .unwrap();
        assert_eq!(got, want, "{t} {since}");
    }
    // An admin's update keeps it: it is the delivery path's.
    let mut e = st.endpoints.get(&a, &ep.id).await.unwrap().unwrap();
    assert_eq!(e.failing_announced, Some(t0 + hour));
    e.description = "changed".into();
    e.version += 1;
    st.endpoints.update(&e).await.unwrap();
    let e = st.endpoints.get(&a, &ep.id).await.unwrap().unwrap();
    assert_eq!((e.failing_announced, e.version), (Some(t0 + hour), 2));
}
