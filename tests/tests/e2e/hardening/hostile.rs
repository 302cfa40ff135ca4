//! Hostile request bodies, generated deterministically for the malformed-requests test.

use serde_json::{json, Value};

/// A deterministic generator of hostile request bodies and query strings.
pub(super) struct Gen(pub(super) u64);

impl Gen {
    fn next(&mut self) -> u64 {
        // xorshift64*: reproducible, no extra dependency.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }

    fn value(&mut self, depth: u32) -> Value {
        match self.next() % if depth > 3 { 6 } else { 8 } {
            0 => Value::Null,
            1 => json!(self.next().is_multiple_of(2)),
            2 => json!((self.next() as i64).wrapping_sub(i64::MAX / 2)),
            3 => json!(f64::from_bits(self.next() >> 2)),
            4 => json!(self
                .pick(&[
                    "",
                    "é\u{0}\u{202e}",
                    "https://",
                    "ftp://x",
                    "INVOICE_VALIDATED",
                    "ENS_A"
                ])
                .to_string()),
            5 => json!("x".repeat((self.next() % 5000) as usize)),
            6 => Value::Array(
                (0..self.next() % 4)
                    .map(|_| self.value(depth + 1))
                    .collect(),
            ),
            _ => {
                let keys = [
                    "url",
                    "description",
                    "event_types",
                    "enabled",
                    "tenant_id",
                    "event_type",
                    "event_id",
                    "event_data",
                    "since",
                    "x",
                ];
                Value::Object(
                    (0..self.next() % 6)
                        .map(|_| (self.pick(&keys).to_string(), self.value(depth + 1)))
                        .collect(),
                )
            }
        }
    }

    pub(super) fn body(&mut self) -> Vec<u8> {
        match self.next() % 6 {
            0 => (0..self.next() % 300).map(|_| self.next() as u8).collect(),
            1 => format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
            2 => {
                let mut v = serde_json::to_vec(&self.value(0)).unwrap();
                let cut = (self.next() as usize) % (v.len() + 1);
                v.truncate(cut);
                v
            }
            _ => serde_json::to_vec(&self.value(0)).unwrap(),
        }
    }
}
