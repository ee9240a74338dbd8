//! Data safety: narrowing a column never truncates. On every backend, when 10 of
//! 1000 rows do not fit the narrower type, the preflight counts and names them, and
//! the upgrade fails with nothing changed and every row intact.

use schema_diff::ir::{ColumnType as T, Schema};
use schema_diff::runner::{Runner, UpgradeTarget};
use schema_diff::{Dialect, DiffOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_orm_migration::MigrationTrait;
use tests::build::*;
use tests::interpreted::Interpreted;
use tests::{Backend, Scratch};

fn people(name: T, score: T) -> Schema {
    schema(vec![
        table("people")
            .with(col("name", name))
            .with(col("score", score)),
    ])
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|r| {
            r.try_get_by_index::<i64>(0)
                .map(|n| n.to_string())
                .or_else(|_| r.try_get_by_index::<String>(0))
                .expect("a number or text")
        })
        .collect()
}

/// State A, 1000 rows, 10 of them with a 30-character name and a score beyond
/// `i32`; then the narrowing `change` (name to `varchar(20)`, or score to `integer`).
async fn run(backend: Backend, narrow_score: bool) -> bool {
    let Some(scratch) = Scratch::new(backend, "narrowing").await else {
        return false;
    };
    let db = &scratch.db;
    let dialect = Dialect::of(db.get_database_backend()).expect("backend");
    let opts = DiffOptions::default();
    let before = people(T::String(Some(50)), T::BigInteger);
    let after = if narrow_score {
        people(T::String(Some(50)), T::Integer)
    } else {
        people(T::String(Some(20)), T::BigInteger)
    };
    let state_a = schema_diff::diff(&Schema::default(), &before, dialect, &opts);
    let narrowing = schema_diff::diff(&before, &after, dialect, &opts);
    if narrow_score && backend == Backend::Sqlite {
        // Integer widths are one type on SQLite: no change, nothing to narrow.
        assert!(narrowing.is_empty(), "{narrowing:#?}");
        scratch.cleanup().await;
        return true;
    }
    assert!(!narrowing.is_empty(), "{backend:?}: no change");
    let runner = Runner::new(vec![
        Box::new(Interpreted {
            name: "m00000000_000001_people".into(),
            changes: state_a,
        }) as Box<dyn MigrationTrait>,
        Box::new(Interpreted {
            name: "m00000000_000002_narrow".into(),
            changes: narrowing.clone(),
        }),
    ]);
    runner
        .upgrade(db, &UpgradeTarget::Steps(1), |_| {})
        .await
        .expect("state A");
    let mut values = Vec::new();
    for i in 0..1000 {
        let (name, score) = if i % 100 == 7 {
            (format!("{i:0>30}"), 5_000_000_000i64 + i)
        } else {
            (format!("p{i}"), i)
        };
        values.push(format!("('{name}', {score})"));
    }
    let insert = format!(
        "INSERT INTO people (name, score) VALUES {}",
        values.join(", ")
    );
    db.execute_unprepared(&insert).await.expect("seed");

    let hazards = schema_diff::lint::preflight(db, &narrowing)
        .await
        .expect("preflight");
    let column = if narrow_score { "score" } else { "name" };
    assert!(
        hazards.iter().any(|h| h.code == "DL003"
            && h.message.starts_with("10 rows of people have a value in ")
            && h.message.contains(column)),
        "{backend:?}: preflight did not count the rows: {hazards:#?}"
    );

    let outcome = runner.upgrade(db, &UpgradeTarget::Head, |_| {}).await;
    assert!(
        outcome.is_err(),
        "{backend:?}: the narrowing of {column} applied over values that do not fit"
    );
    let left = tests::converge::changes_to(db, &before)
        .await
        .expect("introspect");
    assert!(left.is_empty(), "{backend:?}: the type changed: {left:#?}");
    let long = strings(
        db,
        "SELECT COUNT(*) FROM people WHERE score > 2147483647 AND name LIKE '%000000000000000%'",
    )
    .await;
    assert_eq!(long, ["10"], "{backend:?}: rows lost or cut");
    let all = strings(db, "SELECT COUNT(*) FROM people").await;
    assert_eq!(all, ["1000"], "{backend:?}");
    scratch.cleanup().await;
    true
}

#[tokio::test]
async fn narrowing_a_string_fails_on_rows_that_do_not_fit_on_every_backend() {
    tests::backend::for_each_backend(Backend::ALL, |backend| run(backend, false)).await;
}

#[tokio::test]
async fn narrowing_an_integer_fails_on_rows_that_do_not_fit_on_every_backend() {
    tests::backend::for_each_backend(Backend::ALL, |backend| run(backend, true)).await;
}

/// A smaller decimal scale (or a float to an integer) rounds silently in a cast on
/// every backend; the migration must fail instead, before anything changes.
async fn run_rounding(backend: Backend) -> bool {
    let Some(scratch) = Scratch::new(backend, "rounding").await else {
        return false;
    };
    let db = &scratch.db;
    let dialect = Dialect::of(db.get_database_backend()).expect("backend");
    let opts = DiffOptions::default();
    let prices = |price: T| schema(vec![table("prices").with(col("price", price))]);
    let before = prices(T::Decimal(Some((10, 4))));
    let after = prices(T::Decimal(Some((10, 2))));
    let narrowing = schema_diff::diff(&before, &after, dialect, &opts);
    assert!(!narrowing.is_empty(), "{backend:?}: no change");
    let runner = Runner::new(vec![
        Box::new(Interpreted {
            name: "m00000000_000001_prices".into(),
            changes: schema_diff::diff(&Schema::default(), &before, dialect, &opts),
        }) as Box<dyn MigrationTrait>,
        Box::new(Interpreted {
            name: "m00000000_000002_scale".into(),
            changes: narrowing,
        }),
    ]);
    runner
        .upgrade(db, &UpgradeTarget::Steps(1), |_| {})
        .await
        .expect("state A");
    let values: Vec<String> = (0..100)
        .map(|i| {
            if i % 10 == 3 {
                format!("({i}.1234)")
            } else {
                format!("({i}.5)")
            }
        })
        .collect();
    let insert = format!("INSERT INTO prices (price) VALUES {}", values.join(", "));
    db.execute_unprepared(&insert).await.expect("seed");

    let outcome = runner.upgrade(db, &UpgradeTarget::Head, |_| {}).await;
    let error = outcome
        .expect_err("a scale that rounds values must fail")
        .to_string();
    assert!(
        error.contains("10 row(s) of `prices` hold a value in `price` that does not fit"),
        "{backend:?}: {error}"
    );
    let left = tests::converge::changes_to(db, &before)
        .await
        .expect("introspect");
    assert!(left.is_empty(), "{backend:?}: the type changed: {left:#?}");
    let rounded = strings(
        db,
        "SELECT COUNT(*) FROM prices WHERE price * 10000 - ROUND(price * 100) * 100 <> 0",
    )
    .await;
    assert_eq!(rounded, ["10"], "{backend:?}: values were rounded");
    scratch.cleanup().await;
    true
}

#[tokio::test]
async fn a_smaller_decimal_scale_fails_instead_of_rounding_on_every_backend() {
    tests::backend::for_each_backend(Backend::ALL, run_rounding).await;
}
