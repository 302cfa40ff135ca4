//! Inbound event decoding on arbitrary bytes: never panics, and what it accepts is a valid
//! event that decodes the same way again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use webhooks_core::catalog::Catalog;
use webhooks_core::model::InboundEvent;
use webhooks_core::validation::decode_event;

fuzz_target!(|data: &[u8]| {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    let catalog = CATALOG.get_or_init(Catalog::built_in);
    if let Ok(ev) = decode_event(data, catalog) {
        assert!(ev.event_data.is_object());
        assert!(catalog.contains(&ev.event_type));
        let again = serde_json::to_vec(&InboundEvent {
            tenant_id: ev.tenant.to_string(),
            event_type: ev.event_type.clone(),
            event_id: ev.event_id.clone(),
            event_data: ev.event_data.clone(),
        })
        .unwrap();
        assert_eq!(decode_event(&again, catalog).unwrap(), ev);
    }
});
