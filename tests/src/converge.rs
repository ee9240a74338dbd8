//! The property that matters most: build state A, diff against desired B, apply
//! the generated `up`, diff again → empty; apply `down` → A again; rows kept.

use std::collections::BTreeMap;

use schema_diff::runner::{DowngradeTarget, Runner, UpgradeTarget};
use schema_diff::{Change, Dialect, DiffOptions, Schema};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, JsonValue, Statement};
use sea_orm_migration::MigrationTrait;

use crate::backend::{Backend, Scratch};
use crate::interpreted::Interpreted;

/// One convergence case.
pub struct Case {
    pub name: &'static str,
    /// The starting schema.
    pub a: Schema,
    /// The desired schema.
    pub b: Schema,
    /// INSERT statements run on state A (plain SQL every backend accepts).
    pub seed: Vec<&'static str>,
    /// What the diff from A to B must contain, as `Change::describe` prefixes or
    /// variant names: the case fails if the expected kind of change is missing.
    pub expect: Vec<&'static str>,
}

/// Runs `case` on `backend`: `Ok(false)` when the backend was skipped.
pub async fn run_case(case: &Case, backend: Backend) -> Result<bool, String> {
    let Some(scratch) = Scratch::new(backend, case.name).await else {
        return Ok(false);
    };
    let result = check(case, &scratch).await;
    scratch.cleanup().await;
    result.map(|_| true)
}

fn dialect(db: &DatabaseConnection) -> Result<Dialect, String> {
    Dialect::of(db.get_database_backend()).ok_or_else(|| "unknown backend".to_string())
}

/// The changes from the live database to `target`.
pub async fn changes_to(db: &DatabaseConnection, target: &Schema) -> Result<Vec<Change>, String> {
    let actual = schema_diff::introspect::introspect(db)
        .await
        .map_err(|e| e.to_string())?;
    Ok(schema_diff::diff(
        &actual,
        target,
        dialect(db)?,
        &DiffOptions::default(),
    ))
}

fn describe(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| format!("\n    {}", c.describe()))
        .collect()
}

fn migration(name: &str, changes: Vec<Change>) -> Box<dyn MigrationTrait> {
    Box::new(Interpreted {
        name: name.into(),
        changes,
    })
}

async fn check(case: &Case, scratch: &Scratch) -> Result<(), String> {
    let db = &scratch.db;
    let d = dialect(db)?;
    let opts = DiffOptions::default();
    let create_a = schema_diff::diff(&Schema::default(), &case.a, d, &opts);
    let a_runner = Runner::new(vec![migration(
        "m00000000_000001_state_a",
        create_a.clone(),
    )]);
    a_runner
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .map_err(|e| format!("building state A: {e}"))?;
    let left = changes_to(db, &case.a).await?;
    if !left.is_empty() {
        return Err(format!(
            "state A does not re-diff to nothing:{}",
            describe(&left)
        ));
    }
    for sql in &case.seed {
        db.execute_unprepared(sql)
            .await
            .map_err(|e| format!("seeding `{sql}`: {e}"))?;
    }
    let rows_a = snapshot(db, &case.a).await?;

    let up = changes_to(db, &case.b).await?;
    if up.is_empty() {
        return Err("A and B diff to nothing: the case tests nothing".into());
    }
    let rendered = describe(&up);
    for want in &case.expect {
        if !up.iter().any(|c| mentions(c, want)) {
            return Err(format!("expected a `{want}` change, got:{rendered}"));
        }
    }
    let runner = Runner::new(vec![
        migration("m00000000_000001_state_a", create_a),
        migration("m00000000_000002_a_to_b", up.clone()),
    ]);
    runner
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .map_err(|e| format!("applying up:{rendered}\n  failed: {e}"))?;
    let left = changes_to(db, &case.b).await?;
    if !left.is_empty() {
        return Err(format!(
            "after up:{rendered}\n  the diff to B is not empty:{}",
            describe(&left)
        ));
    }
    let rows_b = snapshot(db, &case.b).await?;
    compare_rows(&case.a, &case.b, &rows_a, &rows_b, false)
        .map_err(|e| format!("after up: {e}"))?;

    runner
        .downgrade(db, &DowngradeTarget::Steps(1), |_| {})
        .await
        .map_err(|e| format!("applying down of:{rendered}\n  failed: {e}"))?;
    let left = changes_to(db, &case.a).await?;
    if !left.is_empty() {
        return Err(format!(
            "after down the diff to A is not empty:{}",
            describe(&left)
        ));
    }
    let rows_back = snapshot(db, &case.a).await?;
    compare_rows(&case.a, &case.b, &rows_a, &rows_back, true)
        .map_err(|e| format!("after down: {e}"))?;

    runner
        .downgrade(db, &DowngradeTarget::Base, |_| {})
        .await
        .map_err(|e| format!("downgrading to base: {e}"))?;
    let left = changes_to(db, &Schema::default()).await?;
    if !left.is_empty() {
        return Err(format!(
            "after downgrading to base the database is not empty:{}",
            describe(&left)
        ));
    }
    Ok(())
}

fn mentions(change: &Change, want: &str) -> bool {
    let variant = serde_json::to_value(change)
        .ok()
        .and_then(|v| v.get("op").and_then(|o| o.as_str()).map(str::to_owned))
        .unwrap_or_default();
    if variant == want || change.describe().starts_with(want) {
        return true;
    }
    match change {
        Change::RebuildTable { changes, .. } => changes.iter().any(|c| mentions(c, want)),
        _ => false,
    }
}

type Rows = BTreeMap<String, Vec<JsonValue>>;

/// Every row of every table, ordered by primary key (or all columns).
pub async fn snapshot(db: &DatabaseConnection, schema: &Schema) -> Result<Rows, String> {
    let backend = db.get_database_backend();
    let q = |name: &str| match backend {
        sea_orm::DbBackend::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    };
    let mut out = BTreeMap::new();
    for table in &schema.tables {
        let order: Vec<String> = if table.primary_key.is_empty() {
            table.columns.iter().map(|c| q(&c.name)).collect()
        } else {
            table.primary_key.iter().map(|c| q(c)).collect()
        };
        let sql = format!(
            "SELECT * FROM {} ORDER BY {}",
            q(&table.name),
            order.join(", ")
        );
        let rows = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .map_err(|e| format!("reading {}: {e}", table.name))?;
        let rows = rows
            .iter()
            .map(|r| JsonValue::from_query_result(r, ""))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("decoding {}: {e}", table.name))?;
        out.insert(table.name.clone(), rows);
    }
    Ok(out)
}

/// A table kept from A to B, with its columns kept with an unchanged type.
struct Kept {
    a_table: String,
    b_table: String,
    /// `(name in A, name in B)`.
    columns: Vec<(String, String)>,
}

/// The tables and same-typed columns that exist in both `a` and `b` (renames followed).
fn kept(a: &Schema, b: &Schema) -> Vec<Kept> {
    let mut out = Vec::new();
    for tb in &b.tables {
        let a_name = match (a.table(&tb.name), &tb.renamed_from) {
            (Some(_), _) => tb.name.clone(),
            (None, Some(old)) if a.table(old).is_some() => old.clone(),
            _ => continue,
        };
        let Some(ta) = a.table(&a_name) else { continue };
        let columns = tb
            .columns
            .iter()
            .filter_map(|cb| {
                let ca = ta
                    .column(&cb.name)
                    .or_else(|| cb.renamed_from.as_deref().and_then(|o| ta.column(o)))?;
                (ca.ty == cb.ty).then(|| (ca.name.clone(), cb.name.clone()))
            })
            .collect();
        out.push(Kept {
            a_table: a_name,
            b_table: tb.name.clone(),
            columns,
        });
    }
    out
}

/// Rows of the tables kept from A to B survive the way up (`back == false`:
/// `rows` are B's) or the round trip (`back == true`: `rows` are A's again):
/// same count, same values in every kept column.
fn compare_rows(
    a: &Schema,
    b: &Schema,
    rows_a: &Rows,
    rows: &Rows,
    back: bool,
) -> Result<(), String> {
    for k in kept(a, b) {
        let table = if back { &k.a_table } else { &k.b_table };
        let before = rows_a
            .get(&k.a_table)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let after = rows.get(table).map(Vec::as_slice).unwrap_or_default();
        if before.len() != after.len() {
            return Err(format!(
                "table {table}: {} row(s) before, {} after",
                before.len(),
                after.len()
            ));
        }
        for (ca, cb) in &k.columns {
            let column = if back { ca } else { cb };
            for (i, (ra, rb)) in before.iter().zip(after).enumerate() {
                let (va, vb) = (ra.get(ca), rb.get(column));
                if va != vb {
                    return Err(format!(
                        "table {table}, row {i}, column {column}: {va:?} became {vb:?}"
                    ));
                }
            }
        }
    }
    Ok(())
}
