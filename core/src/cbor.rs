//! Direct CBOR reading and writing of session maps.
//!
//! Decoding and encoding the stored map are most of what an in-memory
//! request costs, and ciborium's general serde path spends most of that time
//! on dispatch. The reader handles the common, definite-length subset
//! (integers, text, bytes, arrays, maps, booleans, null, 32- and 64-bit
//! floats) directly and gives up on anything else, in which case the caller
//! asks ciborium; where it does answer, it answers exactly as ciborium would.
//! The writer writes every value ciborium can hold, in minimal-length
//! headers. Property tests check both against ciborium.

use ciborium::value::Integer;
use ciborium::Value;

use crate::codec::DataMap;

/// Deeper nesting is left to ciborium, which enforces its own limit.
const MAX_DEPTH: usize = 64;

/// The most room, in bytes, reserved for an array's or a map's items before
/// they are read. A declared length is only a claim: a record of 400 KB can
/// declare 2^32 − 1 items at each of `MAX_DEPTH` levels, and every open
/// level sees nearly the whole input still ahead of it, so even "no more
/// than the rest of the input could hold" reserved at every level adds up to
/// most of a gigabyte. A declaration the rest of the input cannot hold is
/// refused outright; beyond this room, a collection grows as its items
/// actually arrive. At most `MAX_DEPTH × RESERVE_BYTES` (32 KiB) is ever
/// reserved ahead of the items.
const RESERVE_BYTES: usize = 512;

/// Reads `bytes` as one CBOR map of text keys; `None` means "not handled
/// here" (unusual encodings and every malformed input alike).
pub(crate) fn read_map(bytes: &[u8]) -> Option<DataMap> {
    let mut reader = Reader { bytes, pos: 0 };
    let (major, len) = reader.header()?;
    if major != MAP {
        return None;
    }
    let len = reader.declared_len(len, 2)?;
    let mut map = DataMap::new();
    for _ in 0..len {
        let (major, len) = reader.header()?;
        if major != TEXT {
            return None;
        }
        let key = reader.text(len)?;
        let value = reader.value(1)?;
        map.insert(key, value);
    }
    // Trailing bytes: left to ciborium to judge.
    (reader.pos == bytes.len()).then_some(map)
}

/// Writes `map` as one CBOR map of text keys.
pub(crate) fn write_map(
    map: &DataMap,
    out: &mut Vec<u8>,
) -> Result<(), ciborium::ser::Error<std::io::Error>> {
    header(out, MAP, map.len() as u64);
    for (key, value) in map {
        header(out, TEXT, key.len() as u64);
        out.extend_from_slice(key.as_bytes());
        write_value(value, out)?;
    }
    Ok(())
}

fn write_value(
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), ciborium::ser::Error<std::io::Error>> {
    match value {
        Value::Integer(n) => {
            let n = i128::from(*n);
            // An Integer lies within -2^64..2^64, so both arms fit in u64.
            match u64::try_from(n) {
                Ok(n) => header(out, UNSIGNED, n),
                Err(_) => header(out, NEGATIVE, u64::try_from(-1 - n).unwrap_or(u64::MAX)),
            }
        }
        Value::Bytes(bytes) => {
            header(out, BYTES, bytes.len() as u64);
            out.extend_from_slice(bytes);
        }
        Value::Text(text) => {
            header(out, TEXT, text.len() as u64);
            out.extend_from_slice(text.as_bytes());
        }
        Value::Array(items) => {
            header(out, ARRAY, items.len() as u64);
            for item in items {
                write_value(item, out)?;
            }
        }
        Value::Map(entries) => {
            header(out, MAP, entries.len() as u64);
            for (key, value) in entries {
                write_value(key, out)?;
                write_value(value, out)?;
            }
        }
        Value::Tag(tag, inner) => {
            header(out, TAG, *tag);
            write_value(inner, out)?;
        }
        Value::Bool(false) => out.push(0xf4),
        Value::Bool(true) => out.push(0xf5),
        Value::Null => out.push(0xf6),
        Value::Float(f) => {
            // The shorter form where it holds the same number.
            let single = *f as f32;
            if f64::from(single) == *f {
                out.push(0xfa);
                out.extend_from_slice(&single.to_bits().to_be_bytes());
            } else {
                out.push(0xfb);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
        }
        // A kind of value added to ciborium later: let ciborium write it.
        other => ciborium::into_writer(other, &mut *out)?,
    }
    Ok(())
}

/// A header with the argument in its shortest form.
fn header(out: &mut Vec<u8>, major: u8, argument: u64) {
    let major = major << 5;
    match argument {
        0..=23 => out.push(major | argument as u8),
        24..=0xff => out.extend_from_slice(&[major | 24, argument as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend_from_slice(&(argument as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(major | 26);
            out.extend_from_slice(&(argument as u32).to_be_bytes());
        }
        _ => {
            out.push(major | 27);
            out.extend_from_slice(&argument.to_be_bytes());
        }
    }
}

const UNSIGNED: u8 = 0;
const NEGATIVE: u8 = 1;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const TAG: u8 = 6;
const SIMPLE: u8 = 7;

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    /// The major type and its argument. Indefinite lengths and reserved
    /// values are not handled here.
    fn header(&mut self) -> Option<(u8, u64)> {
        let initial = *self.take(1)?.first()?;
        let argument = match initial & 0x1f {
            info @ 0..=23 => u64::from(info),
            24 => u64::from(self.take(1)?[0]),
            25 => u64::from(u16::from_be_bytes(self.take(2)?.try_into().ok()?)),
            26 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().ok()?)),
            27 => u64::from_be_bytes(self.take(8)?.try_into().ok()?),
            _ => return None,
        };
        Some((initial >> 5, argument))
    }

    fn text(&mut self, len: u64) -> Option<String> {
        let bytes = self.take(usize::try_from(len).ok()?)?;
        String::from_utf8(bytes.to_vec()).ok()
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let initial = *self.bytes.get(self.pos)?;
        let (major, argument) = self.header()?;
        Some(match major {
            UNSIGNED => Value::Integer(Integer::from(argument)),
            NEGATIVE => Value::Integer(Integer::try_from(-1 - i128::from(argument)).ok()?),
            BYTES => Value::Bytes(self.take(usize::try_from(argument).ok()?)?.to_vec()),
            TEXT => Value::Text(self.text(argument)?),
            ARRAY => {
                let declared = self.declared_len(argument, 1)?;
                let mut items = with_room(declared);
                for _ in 0..declared {
                    let item = self.value(depth + 1)?;
                    push_within(&mut items, item, declared);
                }
                Value::Array(items)
            }
            MAP => {
                let declared = self.declared_len(argument, 2)?;
                let mut entries = with_room(declared);
                for _ in 0..declared {
                    let key = self.value(depth + 1)?;
                    let value = self.value(depth + 1)?;
                    push_within(&mut entries, (key, value), declared);
                }
                Value::Map(entries)
            }
            SIMPLE => match initial & 0x1f {
                20 => Value::Bool(false),
                21 => Value::Bool(true),
                22 => Value::Null,
                26 => Value::Float(f64::from(f32::from_bits(u32::try_from(argument).ok()?))),
                27 => Value::Float(f64::from_bits(argument)),
                _ => return None,
            },
            _ => return None,
        })
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn remaining_u64(&self) -> u64 {
        u64::try_from(self.remaining()).unwrap_or(u64::MAX)
    }

    /// The item count a collection declares, if the rest of the input can
    /// hold that many items of at least `min_item_bytes` each; `None` ("not
    /// handled here") otherwise.
    fn declared_len(&self, declared: u64, min_item_bytes: u64) -> Option<usize> {
        if declared > self.remaining_u64() / min_item_bytes {
            return None;
        }
        usize::try_from(declared).ok()
    }
}

/// An empty vector for a collection declaring `declared` items, with room
/// for no more than `RESERVE_BYTES` of them: a declaration is never trusted
/// for an allocation.
fn with_room<T>(declared: usize) -> Vec<T> {
    Vec::with_capacity(declared.min(RESERVE_BYTES / std::mem::size_of::<T>().max(1)))
}

/// Pushes onto a collection declaring `declared` items (more than it holds
/// yet): room grows by doubling as items actually arrive, and never past the
/// declared count, so a complete collection holds no spare room.
fn push_within<T>(items: &mut Vec<T>, item: T, declared: usize) {
    if items.len() == items.capacity() {
        let more = items.len().max(1).min(declared - items.len());
        items.reserve_exact(more);
    }
    items.push(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What ciborium makes of the same bytes.
    fn ciborium_map(bytes: &[u8]) -> Option<DataMap> {
        ciborium::from_reader(bytes).ok()
    }

    /// Debug text compares NaN equal to NaN, unlike `Value`'s `PartialEq`.
    fn same(ours: &DataMap, theirs: &DataMap) -> bool {
        format!("{ours:?}") == format!("{theirs:?}")
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<u64>().prop_map(|n| Value::Integer(n.into())),
            any::<i64>().prop_map(|n| Value::Integer(n.into())),
            any::<f64>().prop_map(Value::Float),
            any::<f32>().prop_map(|f| Value::Float(f64::from(f))),
            ".{0,12}".prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(Value::Bytes),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((inner.clone(), inner.clone()), 0..4)
                    .prop_map(Value::Map),
                (any::<u64>(), inner).prop_map(|(tag, v)| Value::Tag(tag, Box::new(v))),
            ]
        })
    }

    fn encoded_map() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::btree_map(".{0,8}", value(), 0..6).prop_map(|map: DataMap| {
            let mut bytes = Vec::new();
            ciborium::into_writer(&map, &mut bytes).unwrap();
            bytes
        })
    }

    /// Encoded maps, as they are, cut short, or with one byte changed.
    fn input() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            encoded_map(),
            (encoded_map(), any::<prop::sample::Index>())
                .prop_map(|(bytes, cut)| bytes[..cut.index(bytes.len() + 1)].to_vec()),
            (encoded_map(), any::<prop::sample::Index>(), any::<u8>()).prop_map(
                |(mut bytes, at, byte)| {
                    if !bytes.is_empty() {
                        let i = at.index(bytes.len());
                        bytes[i] = byte;
                    }
                    bytes
                }
            ),
            proptest::collection::vec(any::<u8>(), 0..64),
            // A header declaring a huge length spliced in anywhere.
            (encoded_map(), any::<prop::sample::Index>(), huge_header()).prop_map(
                |(mut bytes, at, header)| {
                    let i = at.index(bytes.len() + 1);
                    bytes.splice(i..i, header);
                    bytes
                }
            ),
        ]
    }

    /// An array, map, byte or text string header declaring far more than
    /// any record holds.
    fn huge_header() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::sample::select(vec![BYTES, TEXT, ARRAY, MAP]),
            prop::sample::select(vec![u64::from(u32::MAX), u64::MAX, 1 << 40, 100_000]),
        )
            .prop_map(|(major, argument)| {
                let mut out = Vec::new();
                header(&mut out, major, argument);
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        /// Wherever this reader answers, ciborium gives the same map.
        #[test]
        fn agrees_with_ciborium(bytes in input()) {
            if let Some(ours) = read_map(&bytes) {
                let theirs = ciborium_map(&bytes);
                prop_assert!(theirs.as_ref().is_some_and(|t| same(&ours, t)), "{:?} vs {:?}", ours, theirs);
            }
        }

        /// Plain encoded maps without tags are read here, not handed on.
        #[test]
        fn reads_what_the_library_writes(map in proptest::collection::btree_map(".{0,8}", any::<i64>().prop_map(|n| Value::Integer(n.into())), 0..6)) {
            let mut bytes = Vec::new();
            ciborium::into_writer(&map, &mut bytes).unwrap();
            prop_assert_eq!(read_map(&bytes), Some(map));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        /// What this writer writes, ciborium and this reader read back
        /// unchanged.
        #[test]
        fn written_maps_read_back(map in proptest::collection::btree_map(".{0,8}", value(), 0..6)) {
            let mut bytes = Vec::new();
            write_map(&map, &mut bytes).unwrap();
            let theirs = ciborium_map(&bytes).expect("ciborium reads it");
            prop_assert!(same(&map, &theirs));
            if let Some(ours) = read_map(&bytes) {
                prop_assert!(same(&map, &ours));
            }
        }
    }

    /// `{"k": <rest>}`.
    fn record_of(rest: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0xa1, 0x61, b'k'];
        bytes.extend_from_slice(rest);
        bytes
    }

    /// Issue 11, item 8: declared lengths the input cannot hold are handed
    /// on at once, before anything is allocated for them.
    #[test]
    fn declarations_the_input_cannot_hold_are_not_read() {
        let mut cases = Vec::new();
        for major in [ARRAY, MAP, BYTES, TEXT] {
            for argument in [u64::from(u32::MAX), u64::MAX] {
                let mut rest = Vec::new();
                for _ in 0..MAX_DEPTH {
                    header(&mut rest, major, argument);
                    if major == MAP {
                        rest.push(0xf6);
                    }
                }
                rest.resize(rest.len() + 100_000, 0xf6);
                cases.push(record_of(&rest));
            }
        }
        // One more entry than the rest could hold, at the top and inside.
        cases.push(vec![0xa2, 0x61, b'k', 0xf6]);
        cases.push(record_of(&[0x82, 0xf6]));
        cases.push(record_of(&[0xa2, 0xf6, 0xf6, 0xf6]));
        for bytes in cases {
            assert_eq!(read_map(&bytes), None, "{:x?}", &bytes[..12]);
        }
        // Exactly as much as the rest holds is read.
        assert!(read_map(&record_of(&[0x82, 0xf6, 0xf6])).is_some());
        assert!(read_map(&record_of(&[0xa1, 0xf6, 0xf6])).is_some());
    }

    /// Room ahead of the items is bounded, and a complete collection keeps
    /// no spare room however it grew.
    #[test]
    fn collections_get_exactly_the_room_their_items_take() {
        let value = std::mem::size_of::<Value>();
        assert_eq!(
            with_room::<Value>(usize::MAX).capacity(),
            RESERVE_BYTES / value
        );
        let entry = std::mem::size_of::<(Value, Value)>();
        assert_eq!(
            with_room::<(Value, Value)>(1 << 40).capacity(),
            RESERVE_BYTES / entry
        );
        assert_eq!(with_room::<Value>(3).capacity(), 3);
        for n in [0u64, 1, 15, 16, 17, 100, 1_000, 4_097] {
            let mut array = Vec::new();
            header(&mut array, ARRAY, n);
            array.resize(array.len() + n as usize, 0xf6);
            let mut map = Vec::new();
            header(&mut map, MAP, n);
            map.resize(map.len() + 2 * n as usize, 0xf6);
            let array = read_map(&record_of(&array)).unwrap();
            let map = read_map(&record_of(&map)).unwrap();
            let (Value::Array(items), Value::Map(entries)) = (&array["k"], &map["k"]) else {
                panic!("{array:?} {map:?}");
            };
            assert_eq!((items.len(), items.capacity()), (n as usize, n as usize));
            assert_eq!(
                (entries.len(), entries.capacity()),
                (n as usize, n as usize)
            );
        }
    }

    #[test]
    fn headers_are_minimal() {
        for (argument, len) in [
            (0, 1),
            (23, 1),
            (24, 2),
            (255, 2),
            (256, 3),
            (65_535, 3),
            (65_536, 5),
            (u64::from(u32::MAX), 5),
            (u64::from(u32::MAX) + 1, 9),
        ] {
            let mut out = Vec::new();
            header(&mut out, UNSIGNED, argument);
            assert_eq!(out.len(), len, "{argument}");
        }
    }

    #[test]
    fn non_minimal_lengths_and_edges_agree() {
        let cases: &[&[u8]] = &[
            &[0xa1, 0x61, b'a', 0x18, 0x05], // uint 5 in a 1-byte argument
            &[
                0xa1, 0x61, b'a', 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ], // -2^64
            &[0xa1, 0x61, b'a', 0xf9, 0x3c, 0x00], // f16: handed on
            &[0xa1, 0x61, b'a', 0xf7],       // undefined: handed on
            &[0xbf, 0xff],                   // indefinite map: handed on
            &[0xa0, 0x00],                   // trailing byte: handed on
            &[0xa1, 0x01, 0x02],             // non-text key: handed on
        ];
        for bytes in cases {
            if let Some(ours) = read_map(bytes) {
                assert!(
                    ciborium_map(bytes).is_some_and(|t| same(&ours, &t)),
                    "{bytes:x?}"
                );
            }
        }
        assert!(read_map(&[0xa1, 0x61, b'a', 0x18, 0x05]).is_some());
    }
}
