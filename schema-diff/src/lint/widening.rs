//! Which column type changes keep every value: [`is_widening`].

use crate::ir::ColumnType;

/// Whether every value of type `from` converts to type `to` without loss or failure.
///
/// Equal types are widening. Otherwise, by family:
///
/// - text: `char(n)` / `varchar(n)` / `text` to a type at least as long (`varchar`
///   with no length and `text` are unbounded, `char` with no length is `char(1)`);
/// - integers: to a wider integer of the same signedness, from unsigned to a wider
///   signed one, from `boolean`; to `decimal(p, s)` with `p - s` digits enough, to
///   `float`/`double` when the mantissa holds every value;
/// - `decimal(p, s)` to one with no fewer integer digits and no smaller scale
///   (`decimal` with no precision is unbounded); `float` to `double`;
/// - time: `date` to any timestamp, `timestamp` to `datetime`, anything to
///   `timestamptz` (`datetime` to `timestamp` is narrowing: MySQL's `TIMESTAMP` stops
///   in 2038);
/// - `binary(n)` / `varbinary(n)` / `blob` to one at least as long;
/// - `json` and `jsonb` either way; `uuid` to text of 36 characters or more;
/// - an enum to an enum with all its values (or text long enough for each);
/// - arrays element-wise;
/// - anything but binary to unbounded text (`text`, `varchar`): the values keep their
///   text form.
///
/// Anything else (`text` to `varchar(n)`, `bigint` to `integer`, `text` to `integer`,
/// a custom type to another) is narrowing.
pub fn is_widening(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType as T;
    if from == to {
        return true;
    }
    if let (Some(a), Some(b)) = (text_length(from), text_length(to)) {
        return fits(a, b);
    }
    if let (Some(a), Some(b)) = (binary_length(from), binary_length(to)) {
        return fits(a, b);
    }
    if is_unbounded_text(to) {
        return binary_length(from).is_none();
    }
    match (from, to) {
        (T::Boolean, to) if integer(to).is_some() => true,
        (T::Year, to) => integer(to).is_some_and(|i| i.bytes >= 2),
        (from, to) if integer(from).is_some() => {
            integer(from).is_some_and(|i| integer_widens_to(i, to))
        }
        (T::Decimal(Some(a)), T::Decimal(Some(b))) => {
            b.1 >= a.1 && b.0.saturating_sub(b.1) >= a.0.saturating_sub(a.1)
        }
        (T::Decimal(Some(_)), T::Decimal(None)) => true,
        (T::Float, T::Double) => true,
        (T::Date, T::DateTime | T::Timestamp | T::TimestampWithTimeZone) => true,
        (T::Timestamp, T::DateTime) => true,
        (T::DateTime | T::Timestamp, T::TimestampWithTimeZone) => true,
        (T::Json, T::JsonBinary) | (T::JsonBinary, T::Json) => true,
        (T::Uuid, to) => text_length(to).is_some_and(|len| fits(Some(36), len)),
        (T::Enum { variants: a, .. }, T::Enum { variants: b, .. }) => {
            a.iter().all(|v| b.contains(v))
        }
        (T::Enum { variants, .. }, to) => text_length(to).is_some_and(|len| {
            variants
                .iter()
                .all(|v| fits(Some(v.chars().count() as u32), len))
        }),
        (T::Array(a), T::Array(b)) => is_widening(a, b),
        _ => false,
    }
}

/// Whether a value of length `from` fits in length `to` (`None`: unbounded).
fn fits(from: Option<u32>, to: Option<u32>) -> bool {
    match (from, to) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a <= b,
    }
}

/// The length of a text type: `Some(None)` when unbounded, `None` for other types.
fn text_length(ty: &ColumnType) -> Option<Option<u32>> {
    match ty {
        ColumnType::Char(len) => Some(Some(len.unwrap_or(1))),
        ColumnType::String(len) => Some(*len),
        ColumnType::Text => Some(None),
        _ => None,
    }
}

fn is_unbounded_text(ty: &ColumnType) -> bool {
    text_length(ty) == Some(None)
}

/// The length of a binary type: `Some(None)` when unbounded, `None` for other types.
fn binary_length(ty: &ColumnType) -> Option<Option<u32>> {
    match ty {
        ColumnType::Binary(len) => Some(Some(*len)),
        ColumnType::VarBinary(len) => Some(*len),
        ColumnType::Blob => Some(None),
        _ => None,
    }
}

/// An integer type's signedness and width in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IntegerType {
    signed: bool,
    bytes: u32,
}

impl IntegerType {
    /// Bits of magnitude: what a float's mantissa must hold.
    fn value_bits(self) -> u32 {
        if self.signed {
            self.bytes * 8 - 1
        } else {
            self.bytes * 8
        }
    }

    /// Decimal digits of the largest value.
    fn digits(self) -> u32 {
        match (self.bytes, self.signed) {
            (1, _) => 3,
            (2, _) => 5,
            (4, _) => 10,
            (_, true) => 19,
            (_, false) => 20,
        }
    }
}

fn integer(ty: &ColumnType) -> Option<IntegerType> {
    let (signed, bytes) = match ty {
        ColumnType::TinyInteger => (true, 1),
        ColumnType::SmallInteger => (true, 2),
        ColumnType::Integer => (true, 4),
        ColumnType::BigInteger => (true, 8),
        ColumnType::TinyUnsigned => (false, 1),
        ColumnType::SmallUnsigned => (false, 2),
        ColumnType::Unsigned => (false, 4),
        ColumnType::BigUnsigned => (false, 8),
        _ => return None,
    };
    Some(IntegerType { signed, bytes })
}

fn integer_widens_to(from: IntegerType, to: &ColumnType) -> bool {
    if let Some(to) = integer(to) {
        return match (from.signed, to.signed) {
            (true, true) | (false, false) => to.bytes >= from.bytes,
            (false, true) => to.bytes > from.bytes,
            (true, false) => false,
        };
    }
    match to {
        ColumnType::Decimal(None) => true,
        ColumnType::Decimal(Some((precision, scale))) => {
            precision.saturating_sub(*scale) >= from.digits()
        }
        ColumnType::Float => from.value_bits() <= 24,
        ColumnType::Double => from.value_bits() <= 53,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_widening;
    use crate::ir::ColumnType as T;

    fn enum_of(values: &[&str]) -> T {
        T::Enum {
            name: "mood".into(),
            variants: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn equal_types_are_widening() {
        for ty in [
            T::Text,
            T::Integer,
            T::Decimal(Some((10, 2))),
            T::Custom("x".into()),
        ] {
            assert!(is_widening(&ty, &ty), "{ty:?}");
        }
    }

    #[test]
    fn text_lengths() {
        assert!(is_widening(&T::String(Some(50)), &T::String(Some(100))));
        assert!(is_widening(&T::String(Some(50)), &T::String(None)));
        assert!(is_widening(&T::String(Some(50)), &T::Text));
        assert!(is_widening(&T::Char(Some(2)), &T::String(Some(2))));
        assert!(is_widening(&T::Char(None), &T::Char(Some(3))));
        assert!(!is_widening(&T::String(Some(100)), &T::String(Some(50))));
        assert!(!is_widening(&T::Char(Some(10)), &T::Char(Some(5))));
        assert!(!is_widening(&T::Text, &T::String(Some(255))));
        assert!(!is_widening(&T::String(None), &T::String(Some(255))));
    }

    #[test]
    fn integer_widths_and_signedness() {
        assert!(is_widening(&T::SmallInteger, &T::Integer));
        assert!(is_widening(&T::Integer, &T::BigInteger));
        assert!(is_widening(&T::Unsigned, &T::BigInteger));
        assert!(is_widening(&T::TinyUnsigned, &T::SmallUnsigned));
        assert!(is_widening(&T::Boolean, &T::TinyInteger));
        assert!(!is_widening(&T::BigInteger, &T::Integer));
        assert!(!is_widening(&T::Integer, &T::SmallInteger));
        assert!(!is_widening(&T::Integer, &T::Unsigned));
        assert!(!is_widening(&T::Unsigned, &T::Integer));
        assert!(!is_widening(&T::Integer, &T::Boolean));
    }

    #[test]
    fn numbers_across_families() {
        assert!(is_widening(&T::Integer, &T::Decimal(Some((10, 0)))));
        assert!(is_widening(&T::Integer, &T::Decimal(Some((12, 2)))));
        assert!(!is_widening(&T::Integer, &T::Decimal(Some((10, 2)))));
        assert!(is_widening(&T::Integer, &T::Double));
        assert!(!is_widening(&T::BigInteger, &T::Double));
        assert!(is_widening(&T::SmallInteger, &T::Float));
        assert!(!is_widening(&T::Integer, &T::Float));
        assert!(is_widening(&T::Float, &T::Double));
        assert!(!is_widening(&T::Double, &T::Float));
        assert!(!is_widening(&T::Double, &T::Integer));
    }

    #[test]
    fn decimal_precision_and_scale() {
        assert!(is_widening(
            &T::Decimal(Some((10, 2))),
            &T::Decimal(Some((12, 2)))
        ));
        assert!(is_widening(
            &T::Decimal(Some((10, 2))),
            &T::Decimal(Some((11, 3)))
        ));
        assert!(is_widening(&T::Decimal(Some((10, 2))), &T::Decimal(None)));
        assert!(!is_widening(
            &T::Decimal(Some((10, 2))),
            &T::Decimal(Some((8, 2)))
        ));
        assert!(!is_widening(
            &T::Decimal(Some((10, 2))),
            &T::Decimal(Some((10, 1)))
        ));
        assert!(!is_widening(
            &T::Decimal(Some((10, 2))),
            &T::Decimal(Some((10, 3)))
        ));
        assert!(!is_widening(&T::Decimal(None), &T::Decimal(Some((10, 2)))));
    }

    #[test]
    fn other_families() {
        assert!(is_widening(&T::Date, &T::TimestampWithTimeZone));
        assert!(is_widening(&T::DateTime, &T::TimestampWithTimeZone));
        assert!(!is_widening(&T::TimestampWithTimeZone, &T::DateTime));
        assert!(!is_widening(&T::DateTime, &T::Date));
        assert!(!is_widening(&T::DateTime, &T::Timestamp));
        assert!(is_widening(&T::Json, &T::JsonBinary));
        assert!(is_widening(&T::Binary(16), &T::VarBinary(Some(32))));
        assert!(is_widening(&T::VarBinary(Some(32)), &T::Blob));
        assert!(!is_widening(&T::Blob, &T::VarBinary(Some(32))));
        assert!(!is_widening(&T::Blob, &T::Text));
        assert!(is_widening(&T::Uuid, &T::String(Some(36))));
        assert!(!is_widening(&T::Uuid, &T::String(Some(16))));
        assert!(is_widening(&enum_of(&["a"]), &enum_of(&["a", "b"])));
        assert!(!is_widening(&enum_of(&["a", "b"]), &enum_of(&["a"])));
        assert!(is_widening(&enum_of(&["happy"]), &T::String(Some(5))));
        assert!(!is_widening(&enum_of(&["happy"]), &T::String(Some(4))));
        assert!(is_widening(
            &T::Array(Box::new(T::Integer)),
            &T::Array(Box::new(T::BigInteger))
        ));
        assert!(!is_widening(
            &T::Array(Box::new(T::BigInteger)),
            &T::Array(Box::new(T::Integer))
        ));
    }

    #[test]
    fn to_unbounded_text_keeps_values_but_not_back() {
        for ty in [
            T::Integer,
            T::Boolean,
            T::Uuid,
            T::DateTime,
            T::Json,
            T::Custom("citext".into()),
        ] {
            assert!(is_widening(&ty, &T::Text), "{ty:?} -> text");
            assert!(!is_widening(&T::Text, &ty), "text -> {ty:?}");
        }
        assert!(!is_widening(&T::Integer, &T::String(Some(5))));
        assert!(!is_widening(&T::Custom("a".into()), &T::Custom("b".into())));
    }
}
