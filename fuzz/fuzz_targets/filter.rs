//! Endpoint filters on arbitrary text: compiling never panics (the CEL parser is generated
//! code), and a filter that compiles evaluates on an event to a verdict or an error, never
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webhooks_core::filter::{EventContext, Filter};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = Filter::compile(source) {
        let event = serde_json::json!({"invoice_id": "FA-1", "agency_id": "AG-75",
            "amount_excl_tax": 1850.4, "lines": [{"qty": 2}], "tags": ["a", "b"]});
        let _ = filter.matches(&EventContext::new("INVOICE_VALIDATED", &event));
    }
});
