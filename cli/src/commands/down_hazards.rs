//! What a `downgrade` destroys: the `down` steps of the migrations to roll back are
//! captured as SQL ([`schema_diff::capture`]), read for the live tables and columns
//! they drop ([`schema_diff::lint::dropped_by_sql`]), and those are counted on the
//! database. Used by `downgrade` (the data-loss gate) and `downgrade --dry-run`
//! (hazards printed with the SQL).

use anyhow::Context as _;
use schema_diff::lint::{Dropped, Hazard, Loss};
use schema_diff::runner::{DowngradeTarget, RunError};
use sea_orm::DatabaseConnection;

use super::Context;
use super::dry_run::{Direction, Script, capture};

/// The migrations a `downgrade TARGET` would roll back, newest first.
pub async fn plan(
    ctx: &Context<'_>,
    db: &DatabaseConnection,
    target: &DowngradeTarget,
) -> anyhow::Result<Vec<String>> {
    let runner = ctx.runner();
    let status = runner.status(db).await?;
    if !status.unknown.is_empty() {
        return Err(RunError::UnknownApplied(status.unknown).into());
    }
    let applied: Vec<String> = status.applied.iter().map(|a| a.version.clone()).collect();
    Ok(target.plan(&runner.versions(), &applied)?)
}

/// The `down` scripts of `plan`, each with the hazards of what it drops (counted
/// where rows would be lost), and every loss of the whole run.
pub async fn inspect(
    ctx: &Context<'_>,
    db: &DatabaseConnection,
    plan: &[String],
) -> anyhow::Result<(Vec<Script>, Vec<Loss>)> {
    inspect_direction(ctx, db, plan, Direction::Down).await
}

/// [`inspect`] in either direction: the `up` of pending migrations (the admin
/// API's pending list) is read for what it drops the same way.
pub async fn inspect_direction(
    ctx: &Context<'_>,
    db: &DatabaseConnection,
    plan: &[String],
    direction: Direction,
) -> anyhow::Result<(Vec<Script>, Vec<Loss>)> {
    let mut scripts = capture(ctx, plan, direction, db.get_database_backend()).await;
    if scripts.is_empty() {
        return Ok((scripts, Vec::new()));
    }
    let actual = schema_diff::introspect::introspect(db)
        .await
        .context("cannot read the database schema")?;
    let all: Vec<String> = scripts.iter().flat_map(|s| s.sql.clone()).collect();
    let dropped = schema_diff::lint::dropped_by_sql(&all, &actual);
    let losses = schema_diff::lint::count_losses(db, &dropped)
        .await
        .context("cannot count the rows the migrations would drop")?;
    for script in &mut scripts {
        let own = schema_diff::lint::dropped_by_sql(&script.sql, &actual);
        script.hazards = own.iter().map(|d| hazard(d, &losses)).collect();
    }
    Ok((scripts, losses))
}

/// The counted hazard of `dropped` when it loses rows, else the plain one.
fn hazard(dropped: &Dropped, losses: &[Loss]) -> Hazard {
    let column = match dropped {
        Dropped::Table { .. } => None,
        Dropped::Column { column, .. } => Some(column.as_str()),
    };
    losses
        .iter()
        .find(|l| l.table == dropped.table() && l.column.as_deref() == column)
        .map_or_else(|| dropped.hazard(), Loss::hazard)
}

/// The scripts whose SQL could not be captured, described as possible losses:
/// what their `down` drops is unknown, so the rollback needs the same consent as
/// one that is known to drop rows.
pub fn uninspected(scripts: &[Script]) -> Vec<String> {
    scripts
        .iter()
        .filter_map(|script| {
            let error = script.error.as_ref()?;
            Some(format!(
                "the down of {} may drop data: its SQL cannot be read in advance ({error})",
                script.version
            ))
        })
        .collect()
}
