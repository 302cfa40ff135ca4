//! The counters function's input: a Lambda DynamoDB-stream event decoded into
//! [`StreamRecord`]s, with their images from DynamoDB JSON.

use crate::attrs::*;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use serde_json::Value;
use webhooks_core::StoreError;

/// One stream record, as the counters function receives it.
#[derive(Debug, Clone)]
pub struct StreamRecord {
    /// The record's sequence number, zero-padded so that strings compare as numbers.
    pub seq: String,
    pub keys: Item,
    pub old: Option<Item>,
    pub new: Option<Item>,
}

/// Zero-pads a stream sequence number (at most 40 digits) so strings sort as numbers.
pub fn padded_seq(seq: &str) -> String {
    format!("{seq:0>40}")
}

/// The records of a Lambda DynamoDB-stream event (DynamoDB JSON images).
pub fn records_from_event(event: &Value) -> Result<Vec<StreamRecord>, StoreError> {
    let bad = |what: &str| StoreError::Backend(format!("stream event: {what}"));
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no Records"))?;
    records
        .iter()
        .map(|r| {
            let d = r
                .get("dynamodb")
                .ok_or_else(|| bad("record without dynamodb"))?;
            let image = |name: &str| {
                d.get(name)
                    .filter(|v| !v.is_null())
                    .map(item_from_json)
                    .transpose()
            };
            Ok(StreamRecord {
                seq: padded_seq(
                    d.get("SequenceNumber")
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad("no SequenceNumber"))?,
                ),
                keys: image("Keys")?.ok_or_else(|| bad("no Keys"))?,
                old: image("OldImage")?,
                new: image("NewImage")?,
            })
        })
        .collect()
}

/// An item in DynamoDB JSON (`{"name": {"S": "…"}}`), as Lambda passes stream images.
pub fn item_from_json(v: &Value) -> Result<Item, StoreError> {
    v.as_object()
        .ok_or_else(|| StoreError::Backend("stream image is not an object".into()))?
        .iter()
        .map(|(k, v)| Ok((k.clone(), attr_from_json(v)?)))
        .collect()
}

fn attr_from_json(v: &Value) -> Result<AttributeValue, StoreError> {
    let bad = || StoreError::Backend(format!("unsupported stream attribute {v}"));
    let (kind, inner) = v
        .as_object()
        .and_then(|o| o.iter().next())
        .ok_or_else(bad)?;
    let text = || inner.as_str().map(str::to_owned).ok_or_else(bad);
    let texts = || -> Result<Vec<String>, StoreError> {
        inner
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|x| x.as_str().map(str::to_owned).ok_or_else(bad))
            .collect()
    };
    let blob = |s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map(aws_sdk_dynamodb::primitives::Blob::new)
            .map_err(|_| bad())
    };
    Ok(match kind.as_str() {
        "S" => AttributeValue::S(text()?),
        "N" => AttributeValue::N(text()?),
        "B" => AttributeValue::B(blob(&text()?)?),
        "BOOL" => AttributeValue::Bool(inner.as_bool().ok_or_else(bad)?),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(texts()?),
        "NS" => AttributeValue::Ns(texts()?),
        "BS" => AttributeValue::Bs(texts()?.iter().map(|s| blob(s)).collect::<Result<_, _>>()?),
        "L" => AttributeValue::L(
            inner
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(attr_from_json)
                .collect::<Result<_, _>>()?,
        ),
        "M" => AttributeValue::M(item_from_json(inner)?),
        _ => return Err(bad()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stream_events_parse_into_records() {
        let event = json!({"Records": [{
            "eventName": "MODIFY",
            "dynamodb": {
                "SequenceNumber": "111",
                "Keys": {"pk": {"S": "L#A#ep_1"}, "sk": {"S": "D#msg_1"}},
                "OldImage": {"n": {"N": "1"}, "l": {"L": [{"S": "x"}]}, "b": {"B": "AAE="}},
                "NewImage": {"m": {"M": {"t": {"BOOL": true}, "z": {"NULL": true}}}}
            }
        }]});
        let r = &records_from_event(&event).unwrap()[0];
        assert_eq!(r.seq, format!("{}111", "0".repeat(37)));
        assert_eq!(get_s(&r.keys, PK).unwrap(), "L#A#ep_1");
        let old = r.old.as_ref().unwrap();
        assert_eq!(old["n"], AttributeValue::N("1".into()));
        assert_eq!(old["b"].as_b().unwrap().as_ref(), &[0, 1]);
        assert!(r.new.as_ref().unwrap()["m"].as_m().is_ok());
        assert!(records_from_event(&json!({})).is_err());
        assert!(item_from_json(&json!({"x": {"Q": 1}})).is_err());
        assert!(padded_seq("2") < padded_seq("10"));
    }
}
