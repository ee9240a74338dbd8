//! Which backends rewrite (PostgreSQL) or copy (MySQL) a table for a column type
//! change: the facts behind `LK002`.
//!
//! Both answers are conservative: a change is exempt only where the backend is
//! known to change the catalog alone, and every exemption is checked against a
//! real server by a test (`schema-diff/tests/lint_rewrite.rs`: `pg_class.relfilenode`
//! unchanged on PostgreSQL, `ALGORITHM=INPLACE` accepted on MariaDB).

use crate::dialect;
use crate::ir::ColumnType;

/// The backends on which changing a column from one type to another rewrites or
/// copies the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rewrites {
    /// PostgreSQL rewrites the table (a new relfilenode) under `ACCESS EXCLUSIVE`.
    pub postgres: bool,
    /// MySQL/MariaDB copies the table (`ALGORITHM=COPY`).
    pub mysql: bool,
}

impl Rewrites {
    /// Whether any backend rewrites or copies the table.
    pub(crate) fn any(self) -> bool {
        self.postgres || self.mysql
    }
}

/// The backends that rewrite or copy the table when a column's type changes from
/// `from` to `to` (IR types, as the change carries them): see
/// [`dialect::postgres::alters_in_place`] and [`dialect::mysql::alters_in_place`].
pub(crate) fn rewrites(from: &ColumnType, to: &ColumnType) -> Rewrites {
    Rewrites {
        postgres: postgres_rewrites(
            &dialect::postgres::canonical_type(from),
            &dialect::postgres::canonical_type(to),
        ),
        mysql: mysql_copies(
            &dialect::mysql::comparable_type(from),
            &dialect::mysql::comparable_type(to),
        ),
    }
}

fn postgres_rewrites(from: &ColumnType, to: &ColumnType) -> bool {
    from != to && !dialect::postgres::alters_in_place(from, to)
}

fn mysql_copies(from: &ColumnType, to: &ColumnType) -> bool {
    from != to && !dialect::mysql::alters_in_place(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColumnType as T;

    #[test]
    fn postgres_exempts_only_catalog_only_changes() {
        let pg = |a: T, b: T| rewrites(&a, &b).postgres;
        assert!(!pg(T::String(Some(20)), T::String(Some(40))));
        assert!(!pg(T::String(Some(20)), T::String(None)));
        assert!(!pg(T::String(Some(20)), T::Text));
        assert!(!pg(T::Text, T::String(None)));
        assert!(!pg(T::Decimal(Some((10, 2))), T::Decimal(Some((12, 2)))));
        assert!(!pg(T::Decimal(Some((10, 2))), T::Decimal(None)));
        assert!(!pg(T::Timestamp, T::DateTime), "one type on PostgreSQL");
        assert!(pg(T::String(Some(40)), T::String(Some(20))));
        assert!(pg(T::Text, T::String(Some(20))));
        assert!(pg(T::Char(Some(2)), T::Char(Some(4))));
        assert!(pg(T::Integer, T::BigInteger));
        assert!(pg(T::Decimal(Some((10, 2))), T::Decimal(Some((12, 4)))));
        assert!(pg(T::DateTime, T::TimestampWithTimeZone));
    }

    #[test]
    fn mysql_exempts_varchar_growth_within_its_length_byte_class() {
        let my = |a: T, b: T| rewrites(&a, &b).mysql;
        assert!(!my(T::String(Some(20)), T::String(Some(63))));
        assert!(!my(T::String(Some(300)), T::String(Some(1000))));
        assert!(!my(T::Boolean, T::TinyInteger), "one type on MySQL");
        assert!(my(T::String(Some(20)), T::String(Some(64))));
        assert!(my(T::String(Some(100)), T::String(Some(300))));
        assert!(my(T::String(Some(40)), T::String(Some(20))));
        assert!(my(T::String(Some(20)), T::Text));
        assert!(my(T::Decimal(Some((10, 2))), T::Decimal(Some((12, 2)))));
        assert!(my(T::Integer, T::BigInteger));
    }
}
