//! Encoding of the session's data map into a record's `dat` attribute.

use std::collections::BTreeMap;

use ciborium::Value;

use crate::seal::{self, Binding};
use crate::{CommitError, DataEncoding, DataProtection, StoredData};

/// The session's data: string keys to self-describing values.
pub(crate) type DataMap = BTreeMap<String, Value>;

/// Encodes the map in the configured encoding.
pub(crate) fn encode(data: &DataMap, encoding: DataEncoding) -> Result<StoredData, CommitError> {
    match encoding {
        DataEncoding::Cbor => {
            let mut bytes = Vec::with_capacity(64);
            ciborium::into_writer(data, &mut bytes).map_err(CommitError::encode)?;
            Ok(StoredData::Cbor(bytes))
        }
        DataEncoding::Json => {
            let mut object = serde_json::Map::new();
            for (key, value) in data {
                let value = to_json(value).map_err(|reason| CommitError::NotJson {
                    key: key.clone(),
                    reason,
                })?;
                object.insert(key.clone(), value);
            }
            Ok(StoredData::Json(
                serde_json::Value::Object(object).to_string(),
            ))
        }
    }
}

/// Encodes the map as [`encode`] does and, when `protection` asks for it,
/// seals CBOR for the record `binding` describes. JSON is never sealed:
/// pyramid-dynamodb-sessions must read it.
pub(crate) fn encode_for(
    data: &DataMap,
    encoding: DataEncoding,
    protection: DataProtection,
    binding: &Binding<'_>,
) -> Result<StoredData, CommitError> {
    match encode(data, encoding)? {
        StoredData::Cbor(plain) if protection.seals() => Ok(StoredData::Cbor(
            seal::seal(&plain, binding).map_err(CommitError::Random)?,
        )),
        encoded => Ok(encoded),
    }
}

/// Converts a value to JSON exactly, or says why JSON cannot hold it:
/// nothing is rounded, dropped or turned into something else.
pub(crate) fn to_json(value: &Value) -> Result<serde_json::Value, &'static str> {
    use serde_json::Value as Json;
    Ok(match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Text(s) => Json::String(s.clone()),
        Value::Integer(i) => {
            let i = i128::from(*i);
            if let Ok(small) = i64::try_from(i) {
                Json::from(small)
            } else if let Ok(large) = u64::try_from(i) {
                Json::from(large)
            } else {
                return Err("an integer beyond 64 bits");
            }
        }
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .ok_or("a NaN or infinite number")?,
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Map(entries) => {
            let mut object = serde_json::Map::new();
            for (key, value) in entries {
                let Value::Text(key) = key else {
                    return Err("a map whose keys are not all strings");
                };
                object.insert(key.clone(), to_json(value)?);
            }
            Json::Object(object)
        }
        Value::Bytes(_) => return Err("a byte string"),
        Value::Tag(..) => return Err("a tagged value"),
        _ => return Err("a value JSON cannot hold"),
    })
}

/// Decodes the `dat` of the record `binding` describes: sealed CBOR (opened,
/// and refused if it was changed or moved), JSON, and plain CBOR only if
/// `protection` reads it (under [`DataProtection::Sealed`] plain CBOR proves
/// nothing about where it was written, so it is refused). The error is a
/// description for the log, never containing the data, the token or the key.
pub(crate) fn open(
    data: &StoredData,
    binding: &Binding<'_>,
    protection: DataProtection,
) -> Result<DataMap, String> {
    match data {
        StoredData::Cbor(bytes) if seal::is_sealed(bytes) => {
            let plain = seal::open(bytes, binding).map_err(|e| e.to_string())?;
            decode(&StoredData::Cbor(plain))
        }
        StoredData::Cbor(_) if !protection.reads_plain_cbor() => {
            Err("unsealed CBOR data, refused by DataProtection::Sealed \
             (DataProtection::SealedAcceptingPlain reads it)"
                .to_owned())
        }
        other => decode(other),
    }
}

/// Decodes a plain stored map, whichever encoding it was written in. The
/// error is a description for the log, never containing the data itself.
pub(crate) fn decode(data: &StoredData) -> Result<DataMap, String> {
    match data {
        // `from_reader` zeroes a 4 KB scratch buffer on every call; long
        // strings are read in chunks through a small one just as well.
        // ciborium sizes nothing from a declared length: arrays, maps and
        // strings grow as their items and bytes actually arrive, and nesting
        // stops at its recursion limit (`adapters/tests/memory/cbor.rs` checks the
        // peak on hostile records).
        StoredData::Cbor(bytes) => {
            ciborium::from_reader_with_buffer(bytes.as_slice(), &mut [0; 256])
                .map_err(|e| format!("undecodable CBOR data: {}", describe(&e)))
        }
        StoredData::Json(text) => {
            if has_integer_beyond_64_bits(text) {
                // serde_json would read it as a float, and the next write
                // would silently store a different number.
                return Err("JSON data with an integer beyond 64 bits (or -0)".to_owned());
            }
            // Floats are read correctly rounded, so that every float comes
            // back bit for bit: the workspace enables serde_json's
            // `float_roundtrip` feature, without which its parser can be a
            // unit in the last place off (24694.101300000002 read as
            // 24694.1013). Writing is exact already (shortest round-trip
            // digits, as Python's `repr`).
            serde_json::from_str(text).map_err(|e| {
                format!(
                    "undecodable JSON data at line {} column {}",
                    e.line(),
                    e.column()
                )
            })
        }
    }
}

/// Whether JSON text holds an integer literal that serde_json would read as a
/// float: one outside `i64::MIN..=u64::MAX`, or `-0`. Strings are skipped;
/// malformed text is left for the parser to refuse.
fn has_integer_beyond_64_bits(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let literal = &text[start..i];
                let integer = !literal.contains(['.', 'e', 'E']);
                // serde_json reads these as floats: out-of-range integers,
                // and `-0`, which would come back as `-0.0`.
                let read_as_float = literal == "-0"
                    || (literal.parse::<i64>().is_err() && literal.parse::<u64>().is_err());
                if integer && read_as_float {
                    return true;
                }
            }
            _ => i += 1,
        }
    }
    false
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
        let encoded = encode(&data, DataEncoding::Cbor).unwrap();
        assert!(matches!(encoded, StoredData::Cbor(_)));
        assert_eq!(decode(&encoded).unwrap(), data);
    }

    /// Plain CBOR proves nothing about where it was written, so only the
    /// settings that ask for it read it; sealed data and JSON load under
    /// every setting, and both sealed settings write sealed.
    #[test]
    fn plain_cbor_loads_only_where_the_setting_reads_it() {
        let token = crate::Token::parse(&"a".repeat(43)).unwrap();
        let key = token.storage_key();
        let binding = Binding {
            token: &token,
            key: &key,
            version: 1,
            created_at: Some(1_700_000_000),
        };
        let mut data = DataMap::new();
        data.insert("n".into(), Value::Integer(5.into()));
        let plain = encode(&data, DataEncoding::Cbor).unwrap();
        let json = encode(&data, DataEncoding::Json).unwrap();
        let protections = [
            DataProtection::Sealed,
            DataProtection::SealedAcceptingPlain,
            DataProtection::Plain,
        ];
        for protection in protections {
            let written = encode_for(&data, DataEncoding::Cbor, protection, &binding).unwrap();
            let StoredData::Cbor(bytes) = &written else {
                panic!("CBOR mode writes bytes");
            };
            assert_eq!(seal::is_sealed(bytes), protection.seals(), "{protection:?}");
            for readable in [&written, &json] {
                assert_eq!(open(readable, &binding, protection), Ok(data.clone()));
            }
            let read = open(&plain, &binding, protection);
            if protection == DataProtection::Sealed {
                let reason = read.unwrap_err();
                assert!(reason.contains("unsealed"), "{reason}");
            } else {
                assert_eq!(read, Ok(data.clone()), "{protection:?}");
            }
        }
        let sealed = encode_for(&data, DataEncoding::Cbor, DataProtection::Sealed, &binding);
        let StoredData::Cbor(sealed) = sealed.unwrap() else {
            panic!("CBOR mode writes bytes");
        };
        for protection in protections {
            let read = open(&StoredData::Cbor(sealed.clone()), &binding, protection);
            assert_eq!(read, Ok(data.clone()), "{protection:?}");
        }
    }

    #[test]
    fn round_trips_through_json() {
        let mut data = DataMap::new();
        data.insert("n".into(), Value::Integer((-5).into()));
        data.insert("big".into(), Value::Integer(u64::MAX.into()));
        data.insert("f".into(), Value::Float(2.5));
        data.insert("s".into(), Value::Text("é\u{0}\"".into()));
        data.insert(
            "nested".into(),
            Value::Map(vec![(
                Value::Text("list".into()),
                Value::Array(vec![Value::Null, Value::Bool(true)]),
            )]),
        );
        let encoded = encode(&data, DataEncoding::Json).unwrap();
        assert!(matches!(encoded, StoredData::Json(_)));
        assert_eq!(decode(&encoded).unwrap(), data);
    }

    #[test]
    fn json_refuses_what_it_cannot_hold() {
        let refused = [
            Value::Bytes(vec![1]),
            Value::Float(f64::NAN),
            Value::Float(f64::INFINITY),
            Value::Integer((-1i128 - i128::from(u64::MAX)).try_into().unwrap()),
            Value::Tag(1, Box::new(Value::Null)),
            Value::Map(vec![(Value::Integer(1.into()), Value::Null)]),
            Value::Array(vec![Value::Bytes(vec![])]),
        ];
        for value in refused {
            let mut data = DataMap::new();
            data.insert("k".into(), value.clone());
            let err = encode(&data, DataEncoding::Json).unwrap_err();
            assert!(
                matches!(&err, CommitError::NotJson { key, .. } if key == "k"),
                "{value:?}: {err:?}"
            );
        }
    }

    #[test]
    fn reads_json_text() {
        let data = decode(&StoredData::Json(r#"{"count": 3, "_f_": ["hi"]}"#.into())).unwrap();
        assert_eq!(data["count"], Value::Integer(3.into()));
        assert_eq!(data["_f_"], Value::Array(vec![Value::Text("hi".into())]));
    }

    #[test]
    fn json_integers_beyond_64_bits_are_refused_not_rounded() {
        for text in [
            r#"{"big": 1180591620717411303424}"#,
            r#"{"a": [1, -9223372036854775809]}"#,
            r#"{"n": 18446744073709551616}"#,
            r#"{"z": -0}"#,
        ] {
            let err = decode(&StoredData::Json(text.into())).unwrap_err();
            assert!(err.contains("64 bits"), "{text}: {err}");
        }
        for text in [
            r#"{"max": 18446744073709551615, "min": -9223372036854775808}"#,
            r#"{"s": "1180591620717411303424", "f": 1.5e300, "e": "\"99999999999999999999"}"#,
        ] {
            assert!(decode(&StoredData::Json(text.into())).is_ok(), "{text}");
        }
    }

    /// The stored float, bit for bit, of `{"f": <text>}`.
    fn read_float(text: &str) -> u64 {
        let data = decode(&StoredData::Json(format!(r#"{{"f": {text}}}"#)))
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        match &data["f"] {
            Value::Float(f) => f.to_bits(),
            other => panic!("{text}: read as {other:?}"),
        }
    }

    /// What Python's `json.dumps` writes for a finite float: `repr`, the
    /// shortest digits that read back as the same float, in fixed notation
    /// for decimal exponents -4 to 15 and else as `d.ddde+XX`. (Where two
    /// shortest digit strings both read back, as for 1000000000000000.25,
    /// Python may pick the other one; both name the same float. Checked
    /// against CPython 3.11 on 50,000 random floats.)
    fn python_repr(x: f64) -> String {
        let sci = format!("{x:e}"); // shortest round-trip digits, e.g. -2.5e-7
        let (mantissa, exponent) = sci.split_once('e').expect("an exponent");
        let exponent: i32 = exponent.parse().expect("a decimal exponent");
        let (sign, mantissa) = match mantissa.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", mantissa),
        };
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        if (-4..16).contains(&exponent) {
            let point = exponent + 1; // digits before the decimal point
            if point <= 0 {
                let zeros = "0".repeat(point.unsigned_abs() as usize);
                format!("{sign}0.{zeros}{digits}")
            } else if digits.len() <= point as usize {
                let zeros = "0".repeat(point as usize - digits.len());
                format!("{sign}{digits}{zeros}.0")
            } else {
                let (whole, fraction) = digits.split_at(point as usize);
                format!("{sign}{whole}.{fraction}")
            }
        } else {
            let (first, rest) = digits.split_at(1);
            let rest = if rest.is_empty() {
                String::new()
            } else {
                format!(".{rest}")
            };
            let exp_sign = if exponent < 0 { '-' } else { '+' };
            format!(
                "{sign}{first}{rest}e{exp_sign}{:02}",
                exponent.unsigned_abs()
            )
        }
    }

    #[test]
    fn python_repr_matches_python() {
        for (x, repr) in [
            (24694.101300000002, "24694.101300000002"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-2.5e-7, "-2.5e-07"),
        ] {
            assert_eq!(python_repr(x), repr);
        }
    }

    /// Awkward floats: each must come back bit for bit.
    const TRICKY: [f64; 16] = [
        24694.101300000002,
        24694.1013,
        0.1,
        0.30000000000000004,
        -0.0,
        0.0,
        5e-324,                  // the smallest subnormal
        2.225073858507201e-308,  // the largest subnormal
        2.2250738585072014e-308, // the smallest normal
        1.7976931348623157e308,  // the largest finite
        -1.7976931348623157e308,
        9007199254740993.0, // 2^53 + 1, rounded to even
        1e16,
        1e23,
        8.98846567431158e307,
        4.35679845e-310,
    ];

    /// A float Python wrote must be read exactly, and
    /// written back unchanged by a commit that never touched it.
    #[test]
    fn json_floats_round_trip_exactly() {
        for x in TRICKY {
            let expected = x.to_bits();
            assert_eq!(read_float(&python_repr(x)), expected, "{x:e} as Python");
            let mut data = DataMap::new();
            data.insert("f".into(), Value::Float(x));
            let StoredData::Json(text) = encode(&data, DataEncoding::Json).unwrap() else {
                panic!("JSON mode writes text");
            };
            // Whatever notation serde_json chose, Rust's correctly rounded
            // parser reads the same float from it ...
            let literal = text
                .strip_prefix(r#"{"f":"#)
                .and_then(|rest| rest.strip_suffix('}'))
                .unwrap();
            assert_eq!(
                literal.parse::<f64>().unwrap().to_bits(),
                expected,
                "{text}"
            );
            // ... and it stays a float (Python too reads `.0` or `e` as one).
            assert!(literal.contains(['.', 'e', 'E']), "{text}");
            // So does the codec.
            assert_eq!(read_float(literal), expected, "{text}");
        }
        assert_eq!(
            read_float("24694.101300000002"),
            24694.101300000002f64.to_bits()
        );
        assert_eq!(read_float("-0.0"), (-0.0f64).to_bits());
        assert_eq!(read_float("-0e0"), (-0.0f64).to_bits());
        assert_eq!(read_float("-0.0e-5"), (-0.0f64).to_bits());
        assert_eq!(read_float("1e-400"), 0);
        assert_eq!(read_float("4.9406564584124654e-324"), 1);
    }

    fn finite_f64() -> impl proptest::strategy::Strategy<Value = f64> {
        use proptest::prelude::*;
        prop_oneof![
            any::<u64>().prop_map(f64::from_bits),
            // Subnormals and the neighbours of powers of ten.
            (0u64..1 << 52).prop_map(f64::from_bits),
            (-300i32..300, -4i64..4).prop_map(|(e, ulps)| {
                let x = 10f64.powi(e);
                f64::from_bits(x.to_bits().wrapping_add_signed(ulps))
            }),
        ]
        .prop_filter("finite", |x| x.is_finite())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 20_000,
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Every finite float, alone and nested in maps and lists, comes back
        /// bit for bit through JSON mode.
        #[test]
        fn any_float_round_trips_through_json(x in finite_f64()) {
            let mut data = DataMap::new();
            data.insert("f".into(), Value::Float(x));
            data.insert(
                "nested".into(),
                Value::Map(vec![(
                    Value::Text("list".into()),
                    Value::Array(vec![
                        Value::Float(x),
                        Value::Map(vec![(Value::Text("deeper".into()), Value::Float(x))]),
                    ]),
                )]),
            );
            let encoded = encode(&data, DataEncoding::Json).unwrap();
            let decoded = decode(&encoded).unwrap();
            // Debug text tells -0.0 from 0.0, unlike `==`.
            proptest::prop_assert_eq!(format!("{decoded:?}"), format!("{data:?}"));
            let Value::Float(back) = decoded["f"] else { unreachable!() };
            proptest::prop_assert_eq!(back.to_bits(), x.to_bits());
        }

        /// Every finite float as Python's `json.dumps` writes it is read
        /// exactly.
        #[test]
        fn any_python_float_is_read_exactly(x in finite_f64()) {
            proptest::prop_assert_eq!(read_float(&python_repr(x)), x.to_bits(), "{}", python_repr(x));
        }
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
