//! `LK002` says what the servers really do: each type change is applied with the
//! statements a generated migration runs, on a table holding a row, and
//!
//! - on PostgreSQL, the table was rewritten when `pg_class.relfilenode` changed;
//! - on MariaDB/MySQL, the table is copied when the migration's `MODIFY COLUMN`
//!   is refused with `ALGORITHM=NOCOPY` (MariaDB) or `ALGORITHM=INPLACE` (MySQL).
//!
//! Every "no rewrite" claim holds (`LK002` silent for a backend ⇒ that backend
//! neither rewrites nor copies), and every rewrite claim is true too, except
//! where the rule is conservative on purpose: `timestamp` → `timestamptz`
//! (PostgreSQL skips the rewrite when the session time zone is UTC) and `varchar`
//! growth across the one-byte length limit (MariaDB extends in place, MySQL 8
//! copies; the character set decides the limit).
//!
//! Each case works in its own scratch database (see `support/`).

mod support {
    pub mod mysql;
    pub mod pg;
}

use schema_diff::lint::{Hazard, lint};
use schema_diff::statements::{apply, create_table, preview_sql};
use schema_diff::{Change, Column, ColumnType as T, Schema, Table};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::SchemaManager;

/// `(from, to)`: the exempt cases first.
fn cases() -> Vec<(T, T)> {
    vec![
        (T::String(Some(20)), T::String(Some(40))),
        (T::String(Some(20)), T::String(Some(63))),
        (T::String(Some(300)), T::String(Some(1000))),
        (T::String(Some(20)), T::String(None)),
        (T::String(Some(20)), T::Text),
        (T::Text, T::String(None)),
        (T::Decimal(Some((10, 2))), T::Decimal(Some((12, 2)))),
        (T::Decimal(Some((10, 2))), T::Decimal(None)),
        (T::String(Some(40)), T::String(Some(20))),
        (T::String(Some(20)), T::String(Some(64))),
        (T::String(Some(100)), T::String(Some(300))),
        (T::Text, T::String(Some(20))),
        (T::Char(Some(2)), T::Char(Some(4))),
        (T::Integer, T::BigInteger),
        (T::Decimal(Some((10, 2))), T::Decimal(Some((12, 4)))),
        (T::DateTime, T::TimestampWithTimeZone),
    ]
}

fn table(ty: &T) -> Table {
    let mut id = Column::new("id", T::Integer);
    id.auto_increment = true;
    let mut c = Column::new("c", ty.clone());
    c.nullable = true;
    Table {
        name: "t".into(),
        columns: vec![id, c],
        primary_key: vec!["id".into()],
        ..Table::default()
    }
}

fn change(from: &T, to: &T) -> Change {
    let (old, new) = (table(from), table(to));
    Change::AlterColumn {
        table: "t".into(),
        from: old.columns[1].clone(),
        to: new.columns[1].clone(),
    }
}

/// The `LK002` hazard of changing `t.c` from `from` to `to`, if any.
fn lk002(from: &T, to: &T) -> Option<Hazard> {
    let actual = Schema {
        tables: vec![table(from)],
        enums: Vec::new(),
    };
    lint(&[change(from, to)], &actual)
        .into_iter()
        .find(|h| h.code == "LK002")
}

/// A value a column of type `ty` (of [`cases`]) can hold.
fn value(ty: &T) -> &'static str {
    match ty {
        T::DateTime => "'2024-01-01 00:00:00'",
        _ => "'12'",
    }
}

#[tokio::test]
async fn postgres_lk002_claims_match_the_relfilenode() {
    let mut mismatches = Vec::new();
    for (from, to) in cases() {
        let Some(pg) = support::pg::PgScratch::new("lk002").await else {
            return;
        };
        pg.db
            .execute(&create_table(&table(&from)))
            .await
            .expect("create table");
        pg.exec(&format!("INSERT INTO t (c) VALUES ({})", value(&from)))
            .await;
        let relfilenode = || async {
            let row = pg
                .db
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT relfilenode::bigint AS n FROM pg_class WHERE oid = 't'::regclass",
                ))
                .await
                .expect("query")
                .expect("row");
            row.try_get::<i64>("", "n").expect("relfilenode")
        };
        let before = relfilenode().await;
        apply(&SchemaManager::new(&pg.db), &[change(&from, &to)])
            .await
            .unwrap_or_else(|e| panic!("{from:?} -> {to:?}: {e}"));
        let rewritten = relfilenode().await != before;
        let hazard = lk002(&from, &to);
        let claimed = hazard
            .as_ref()
            .is_some_and(|h| h.message.contains("PostgreSQL"));
        let conservative = matches!((&from, &to), (T::DateTime, T::TimestampWithTimeZone));
        if rewritten != claimed && !(claimed && conservative) {
            mismatches.push(format!(
                "{from:?} -> {to:?}: rewritten {rewritten}, LK002 {hazard:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[tokio::test]
async fn mysql_lk002_claims_match_algorithm_nocopy() {
    let mut mismatches = Vec::new();
    for (from, to) in cases() {
        let Some(my) = support::mysql::scratch("lk002").await else {
            return;
        };
        my.db
            .execute(&create_table(&table(&from)))
            .await
            .expect("create table");
        my.exec(&format!("INSERT INTO t (c) VALUES ({})", value(&from)))
            .await;
        let version = my
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::MySql,
                "SELECT VERSION() AS v",
            ))
            .await
            .expect("query")
            .expect("row")
            .try_get::<String>("", "v")
            .expect("version");
        let algorithm = if version.contains("MariaDB") {
            "NOCOPY"
        } else {
            "INPLACE"
        };
        // `-- runtime::...` lines are read-only helpers (the narrowing guard).
        let statements: Vec<String> = preview_sql(&[change(&from, &to)], DbBackend::MySql)
            .into_iter()
            .filter(|s| !s.starts_with("-- "))
            .collect();
        let [modify] = statements.as_slice() else {
            panic!("one MODIFY statement expected: {statements:#?}");
        };
        let copied = my
            .db
            .execute_unprepared(&format!("{modify}, ALGORITHM={algorithm}"))
            .await
            .is_err();
        let hazard = lk002(&from, &to);
        let claimed = hazard.as_ref().is_some_and(|h| h.message.contains("MySQL"));
        let conservative = matches!((&from, &to), (T::String(_), T::String(_)));
        if copied != claimed && !(claimed && conservative) {
            mismatches.push(format!(
                "{from:?} -> {to:?}: copied {copied}, LK002 {hazard:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
