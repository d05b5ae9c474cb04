//! Encoding of the session's data map into a record's `dat` attribute.

use std::collections::BTreeMap;

use ciborium::Value;

use crate::StoredData;

/// The session's data: string keys to self-describing values.
pub(crate) type DataMap = BTreeMap<String, Value>;

/// Encodes the map as CBOR.
pub(crate) fn encode(data: &DataMap) -> Result<StoredData, ciborium::ser::Error<std::io::Error>> {
    let mut bytes = Vec::with_capacity(64);
    ciborium::into_writer(data, &mut bytes)?;
    Ok(StoredData::Cbor(bytes))
}

/// Decodes a stored map, whichever encoding it was written in. The error is
/// a description for the log, never containing the data itself.
pub(crate) fn decode(data: &StoredData) -> Result<DataMap, String> {
    match data {
        StoredData::Cbor(bytes) => ciborium::from_reader(bytes.as_slice())
            .map_err(|e| format!("undecodable CBOR data: {}", describe(&e))),
        StoredData::Json(text) => serde_json::from_str(text).map_err(|e| {
            format!(
                "undecodable JSON data at line {} column {}",
                e.line(),
                e.column()
            )
        }),
    }
}

fn describe(error: &ciborium::de::Error<std::io::Error>) -> &'static str {
    match error {
        ciborium::de::Error::Io(_) => "truncated",
        ciborium::de::Error::Syntax(_) => "syntax error",
        ciborium::de::Error::Semantic(..) => "not a map of text keys",
        ciborium::de::Error::RecursionLimitExceeded => "nested too deeply",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_cbor() {
        let mut data = DataMap::new();
        data.insert("n".into(), Value::Integer(5.into()));
        data.insert("b".into(), Value::Bytes(vec![0, 255]));
        let encoded = encode(&data).unwrap();
        assert_eq!(decode(&encoded).unwrap(), data);
    }

    #[test]
    fn reads_json_text() {
        let data = decode(&StoredData::Json(r#"{"count": 3, "_f_": ["hi"]}"#.into())).unwrap();
        assert_eq!(data["count"], Value::Integer(3.into()));
        assert_eq!(data["_f_"], Value::Array(vec![Value::Text("hi".into())]));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            vec![],
            vec![0xff],
            vec![0x81, 0x01],
            vec![0xa1, 0x01, 0x02],
            vec![0x9f; 10_000],
        ] {
            assert!(decode(&StoredData::Cbor(bytes)).is_err());
        }
        for text in ["", "[1]", "{", "{\"a\":}", "null"] {
            assert!(decode(&StoredData::Json(text.into())).is_err(), "{text}");
        }
    }
}
