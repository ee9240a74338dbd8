//! Which existing values a narrowing type change cannot keep: the predicate the
//! preflight counts rows with (`DL003`).

use crate::ir::ColumnType;

/// The values of a column that do not fit its new type: what the preflight counts,
/// and what [`crate::runtime::require_values_fit`] refuses before a type change runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unfit {
    /// Text longer than this many characters.
    Length(u32),
    /// Numbers outside `[min, max]` (an integer type's range), and with `whole`,
    /// numbers with a fractional part (the cast would round them).
    Range { min: i128, max: i128, whole: bool },
    /// Numbers with more than `integer_digits` digits before the point, or more
    /// than `scale` after it (`decimal(precision, scale)`).
    Decimal { integer_digits: u32, scale: u32 },
    /// Enum values the new type no longer has.
    Values(Vec<String>),
}

/// What of a column of type `from` does not fit type `to`, when the preflight can
/// count it with a portable query; `None` for widenings and changes it cannot tell.
pub fn unfit(from: &ColumnType, to: &ColumnType) -> Option<Unfit> {
    use ColumnType as T;
    if super::is_widening(from, to) {
        return None;
    }
    let text = |ty: &ColumnType| matches!(ty, T::Char(_) | T::String(_) | T::Text);
    let numeric =
        |ty: &ColumnType| range(ty).is_some() || matches!(ty, T::Decimal(_) | T::Float | T::Double);
    match to {
        T::Char(len) | T::String(len) if text(from) => {
            let new = len.unwrap_or(1);
            let old = match from {
                T::Char(old) => Some(old.unwrap_or(1)),
                T::String(old) => *old,
                _ => None,
            };
            old.is_none_or(|old| old > new)
                .then_some(Unfit::Length(new))
        }
        to if range(to).is_some() && numeric(from) => {
            let (min, max) = range(to)?;
            let fits = range(from).is_some_and(|(a, b)| a >= min && b <= max);
            (!fits).then_some(Unfit::Range {
                min,
                max,
                whole: range(from).is_none(),
            })
        }
        T::Decimal(Some((precision, scale))) if numeric(from) => Some(Unfit::Decimal {
            integer_digits: precision.saturating_sub(*scale),
            scale: *scale,
        }),
        T::Enum { variants: new, .. } => match from {
            T::Enum { variants: old, .. } => {
                let removed: Vec<String> =
                    old.iter().filter(|v| !new.contains(v)).cloned().collect();
                (!removed.is_empty()).then_some(Unfit::Values(removed))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The range of an integer type.
fn range(ty: &ColumnType) -> Option<(i128, i128)> {
    let bits = |b: u32, signed: bool| {
        if signed {
            (-(1i128 << (b - 1)), (1i128 << (b - 1)) - 1)
        } else {
            (0, (1i128 << b) - 1)
        }
    };
    Some(match ty {
        ColumnType::TinyInteger => bits(8, true),
        ColumnType::SmallInteger => bits(16, true),
        ColumnType::Integer => bits(32, true),
        ColumnType::BigInteger => bits(64, true),
        ColumnType::TinyUnsigned => bits(8, false),
        ColumnType::SmallUnsigned => bits(16, false),
        ColumnType::Unsigned => bits(32, false),
        ColumnType::BigUnsigned => bits(64, false),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColumnType as T;

    #[test]
    fn narrowings_name_what_does_not_fit() {
        assert_eq!(
            unfit(&T::String(Some(50)), &T::String(Some(20))),
            Some(Unfit::Length(20))
        );
        assert_eq!(unfit(&T::Text, &T::Char(Some(3))), Some(Unfit::Length(3)));
        assert_eq!(unfit(&T::String(Some(10)), &T::String(Some(20))), None);
        assert_eq!(unfit(&T::String(Some(20)), &T::String(None)), None);
        assert_eq!(unfit(&T::Text, &T::String(None)), None);
        assert_eq!(
            unfit(&T::Decimal(Some((5, 2))), &T::Decimal(Some((10, 2)))),
            None
        );
        assert_eq!(
            unfit(&T::BigInteger, &T::Integer),
            Some(Unfit::Range {
                min: -2147483648,
                max: 2147483647,
                whole: false
            })
        );
        assert_eq!(
            unfit(&T::Integer, &T::TinyUnsigned),
            Some(Unfit::Range {
                min: 0,
                max: 255,
                whole: false
            })
        );
        assert_eq!(unfit(&T::SmallInteger, &T::Integer), None);
        assert_eq!(
            unfit(&T::Double, &T::Integer),
            Some(Unfit::Range {
                min: -2147483648,
                max: 2147483647,
                whole: true
            })
        );
        assert_eq!(
            unfit(&T::Decimal(Some((10, 2))), &T::Decimal(Some((5, 1)))),
            Some(Unfit::Decimal {
                integer_digits: 4,
                scale: 1
            })
        );
        let mood = |v: &[&str]| T::Enum {
            name: "mood".into(),
            variants: v.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            unfit(&mood(&["a", "b", "c"]), &mood(&["a", "c"])),
            Some(Unfit::Values(vec!["b".into()]))
        );
        assert_eq!(unfit(&T::Integer, &T::String(Some(3))), None);
    }
}
