//! [`Backfill`]: one UPDATE applied to a table in key order, batch by batch,
//! each batch and its checkpoint in one transaction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::sea_query::{
    Alias, Condition, DynIden, Expr, ExprTrait, IntoCondition, IntoIden, Order, Query,
    UpdateStatement,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionTrait};

use super::checkpoint::{self, Checkpoint, StepState};
use super::key::BatchKey;
use super::progress::{Progress, ProgressSink, installed_sink};
use crate::runner::history;

/// The default number of rows per batch: large enough that PostgreSQL keeps
/// well over half the throughput of one plain `UPDATE` (see
/// `docs/performance.md`), small enough that a batch holds its row locks for
/// well under a second.
pub const DEFAULT_BATCH_SIZE: u64 = 10_000;

/// A batched update of one table, walked in the order of one key column
/// (usually the primary key; integer, text or UUID; composite keys are not
/// supported).
///
/// Each batch takes the next `batch_size` keys after the checkpoint, runs the
/// update restricted to them (`key > lower AND key <= upper`, plus the
/// [`filter`](Backfill::filter)) and moves the checkpoint, in one transaction.
/// A run that stops (killed, or a failed batch) resumes after the last
/// committed batch; no batch is applied twice. Memory stays bounded: no key
/// list is ever loaded, each batch is found with one single-row query.
///
/// ```no_run
/// # use sea_orm::sea_query::{Alias, Expr};
/// # use schema_diff::data::Backfill;
/// # async fn example(db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
/// Backfill::new("m20260101_000000_fill_slug", "slug from title")
///     .table(Alias::new("post"))
///     .key(Alias::new("id"))
///     .batch_size(5_000)
///     .run(db, |update| {
///         update.value(Alias::new("slug"), Expr::col(Alias::new("title")));
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Backfill {
    version: String,
    step: String,
    table: Option<DynIden>,
    key: Option<DynIden>,
    batch_size: u64,
    throttle: Duration,
    filter: Option<Condition>,
    sink: Option<Arc<dyn ProgressSink>>,
}

/// What [`Backfill::run`] did in this run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BackfillReport {
    /// Rows covered by the batches of this run.
    pub rows: u64,
    /// Batches committed in this run.
    pub batches: u64,
    /// Rows covered by earlier, interrupted runs (the resume point).
    pub resumed_after_rows: u64,
    /// The step was already done: nothing ran.
    pub already_done: bool,
}

/// What [`Backfill::dry_run`] counted: the rows the run would cover, and in
/// how many batches. Nothing is written.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DryRun {
    pub rows: u64,
    pub batches: u64,
    /// Rows already covered by an earlier, interrupted run (not counted in `rows`).
    pub resumed_after_rows: u64,
}

impl Backfill {
    /// A backfill step of migration `version` (pass `self.name()` inside a
    /// migration), named `step`: the pair keys the checkpoint, so it must stay
    /// the same between runs and differ between the steps of one migration.
    pub fn new(version: impl Into<String>, step: impl Into<String>) -> Self {
        Backfill {
            version: version.into(),
            step: step.into(),
            table: None,
            key: None,
            batch_size: DEFAULT_BATCH_SIZE,
            throttle: Duration::ZERO,
            filter: None,
            sink: None,
        }
    }

    /// The table to update (required).
    pub fn table(mut self, table: impl IntoIden) -> Self {
        self.table = Some(owned(table));
        self
    }

    /// The column the batches follow (required): unique and indexed, usually
    /// the primary key.
    pub fn key(mut self, key: impl IntoIden) -> Self {
        self.key = Some(owned(key));
        self
    }

    /// Rows per batch (default [`DEFAULT_BATCH_SIZE`]; at least 1).
    pub fn batch_size(mut self, rows: u64) -> Self {
        self.batch_size = rows;
        self
    }

    /// A pause after each batch, to leave the database room for other work.
    pub fn throttle(mut self, pause: Duration) -> Self {
        self.throttle = pause;
        self
    }

    /// Only rows matching `condition` are updated and counted (for example
    /// `Expr::col(Post::Slug).is_null()`).
    pub fn filter(mut self, condition: impl IntoCondition) -> Self {
        self.filter = Some(condition.into_condition());
        self
    }

    /// Where progress goes, instead of the process's sink
    /// ([`super::set_progress_sink`]).
    pub fn progress(mut self, sink: Arc<dyn ProgressSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    fn target(&self) -> Result<(DynIden, DynIden), DbErr> {
        let missing = |what: &str| {
            DbErr::Migration(format!(
                "data migration {} step `{}`: no {what} given (call .{what}(...))",
                self.version, self.step
            ))
        };
        let table = self.table.clone().ok_or_else(|| missing("table"))?;
        let key = self.key.clone().ok_or_else(|| missing("key"))?;
        if self.batch_size == 0 {
            return Err(DbErr::Migration(format!(
                "data migration {} step `{}`: the batch size must be at least 1",
                self.version, self.step
            )));
        }
        Ok((table, key))
    }

    /// Rows with a key after `after` (matching the filter); `None` when the
    /// connection answers no row at all, which only a mock connection does
    /// (the runner's SQL capture).
    async fn count_after(
        &self,
        db: &impl ConnectionTrait,
        after: Option<&BatchKey>,
    ) -> Result<Option<u64>, DbErr> {
        let (table, key) = self.target()?;
        let query = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(table)
            .cond_where(self.rows_after(&key, after))
            .to_owned();
        match db.query_one(&query).await? {
            None => Ok(None),
            Some(row) => Ok(Some(non_negative(row.try_get_by_index::<i64>(0)?))),
        }
    }

    fn rows_after(&self, key: &DynIden, after: Option<&BatchKey>) -> Condition {
        let mut cond = Condition::all();
        if let Some(after) = after {
            cond = cond.add(Expr::col(key.clone()).gt(sea_orm::Value::from(after)));
        }
        if let Some(filter) = &self.filter {
            cond = cond.add(filter.clone());
        }
        cond
    }

    /// The checkpoint of an earlier run, and the rows left after it.
    async fn resume_point(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Option<(Option<Checkpoint>, u64)>, DbErr> {
        // Counting first tells a mock connection apart before anything else.
        let Some(all) = self.count_after(db, None).await? else {
            return Ok(None);
        };
        let saved = checkpoint::read(db, &self.version, &self.step).await?;
        let left = match saved.as_ref().and_then(|c| c.last_key.as_ref()) {
            Some(after) => self.count_after(db, Some(after)).await?.unwrap_or(0),
            None => all,
        };
        Ok(Some((saved, left)))
    }

    /// Counts the rows a run would cover (after the checkpoint of an earlier
    /// run, if any) and the batches it would take. Writes nothing.
    pub async fn dry_run(&self, db: &impl ConnectionTrait) -> Result<DryRun, DbErr> {
        self.target()?;
        let Some((saved, left)) = self.resume_point(db).await? else {
            return Ok(DryRun {
                rows: 0,
                batches: 0,
                resumed_after_rows: 0,
            });
        };
        let done = saved.as_ref().map_or(0, |c| non_negative(c.rows_done));
        let left = if saved.as_ref().is_some_and(|c| c.state == StepState::Done) {
            0
        } else {
            left
        };
        Ok(DryRun {
            rows: left,
            batches: left.div_ceil(self.batch_size),
            resumed_after_rows: done,
        })
    }

    /// Runs the step to the end, resuming after the checkpoint of an earlier
    /// run. `set` fills in the update's `SET` part (`update.value(col, expr)`);
    /// the table and the batch's key range are added by the runner, so a batch
    /// never reaches rows outside its range.
    ///
    /// When batch N fails, its transaction is rolled back, batches 1..N-1 stay
    /// committed, the checkpoint stays at the end of batch N-1, and the error
    /// says so; the next run resumes there. A step already done does nothing.
    pub async fn run<C, F>(&self, db: &C, mut set: F) -> Result<BackfillReport, DbErr>
    where
        C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
        F: FnMut(&mut UpdateStatement) + Send,
    {
        let (table, key) = self.target()?;
        let Some((saved, left)) = self.resume_point(db).await? else {
            return Ok(BackfillReport {
                rows: 0,
                batches: 0,
                resumed_after_rows: 0,
                already_done: false,
            });
        };
        if let Some(done) = saved.as_ref().filter(|c| c.state == StepState::Done) {
            return Ok(BackfillReport {
                rows: 0,
                batches: 0,
                resumed_after_rows: non_negative(done.rows_done),
                already_done: true,
            });
        }
        checkpoint::install(db).await?;
        let now = history::now();
        let mut state = match saved {
            Some(mut c) => {
                c.rows_total = c.rows_done + left as i64;
                c.updated_at = now;
                c
            }
            None => Checkpoint {
                version: self.version.clone(),
                step: self.step.clone(),
                state: StepState::Running,
                last_key: None,
                rows_done: 0,
                rows_total: left as i64,
                batches: 0,
                started_at: now,
                updated_at: now,
            },
        };
        checkpoint::save(db, &state).await?;
        let resumed_after_rows = non_negative(state.rows_done);
        let sink = self.sink.clone().unwrap_or_else(installed_sink);
        let started = Instant::now();
        let progress = |state: &Checkpoint| self.progress_of(state, resumed_after_rows, started);
        sink.start(&progress(&state));
        let mut report = BackfillReport {
            rows: 0,
            batches: 0,
            resumed_after_rows,
            already_done: false,
        };
        loop {
            // On SQLite `BEGIN IMMEDIATE`: the batch reads before it writes,
            // and a read transaction cannot always become a write one while
            // another connection writes.
            let txn = crate::runner::begin_write(db).await?;
            let step = self.one_batch(&txn, &table, &key, &state, &mut set).await;
            let next = match step {
                Ok(Some(next)) => next,
                Ok(None) => {
                    txn.commit().await?;
                    break;
                }
                Err(e) => {
                    if let Err(rollback) = txn.rollback().await {
                        tracing::warn!(error = %rollback, "the rollback could not be sent");
                    }
                    return Err(self.batch_failed(&state, e));
                }
            };
            if let Err(e) = txn.commit().await {
                return Err(self.batch_failed(&state, e));
            }
            let rows = non_negative(next.rows_done - state.rows_done);
            report.rows += rows;
            report.batches += 1;
            state = next;
            sink.batch(&progress(&state));
            if rows < self.batch_size {
                break;
            }
            if !self.throttle.is_zero() {
                tokio::time::sleep(self.throttle).await;
            }
        }
        state.state = StepState::Done;
        state.rows_total = state.rows_done;
        state.updated_at = history::now();
        checkpoint::save(db, &state).await?;
        sink.finish(&progress(&state));
        Ok(report)
    }

    /// Finds the next batch after `state`'s key, moves the checkpoint and runs
    /// the update, in `txn`. `None` when no row is left.
    async fn one_batch<F: FnMut(&mut UpdateStatement)>(
        &self,
        txn: &DatabaseTransaction,
        table: &DynIden,
        key: &DynIden,
        state: &Checkpoint,
        set: &mut F,
    ) -> Result<Option<Checkpoint>, DbErr> {
        let lower = state.last_key.as_ref();
        let Some((upper, rows)) = self.next_batch(txn, table, key, lower).await? else {
            return Ok(None);
        };
        let next = Checkpoint {
            last_key: Some(upper.clone()),
            rows_done: state.rows_done + rows,
            batches: state.batches + 1,
            rows_total: Ord::max(state.rows_total, state.rows_done + rows),
            updated_at: history::now(),
            ..state.clone()
        };
        if !checkpoint::advance(txn, lower, &next).await? {
            return Err(DbErr::Custom(
                "its checkpoint moved meanwhile: another run of the same step is in progress"
                    .into(),
            ));
        }
        let mut update = Query::update();
        update.table(table.clone());
        set(&mut update);
        if update.get_values().is_empty() {
            return Err(DbErr::Custom("the update sets no column".into()));
        }
        update.cond_where(
            self.rows_after(key, lower)
                .add(Expr::col(key.clone()).lte(sea_orm::Value::from(&upper))),
        );
        txn.execute(&update).await?;
        // Last, so that the run's owner row (SQLite, under the runner) is
        // fresh when the batch commits and releases the write lock.
        crate::runner::lock::owner::beat_held(txn).await;
        Ok(Some(next))
    }

    /// The next batch's last key and its size: the key `batch_size` places
    /// after `lower` (`ORDER BY key LIMIT 1 OFFSET n - 1`, one row off the
    /// index); past the end of the table, the count of the rows left and the
    /// last key. `None` when no row is left.
    async fn next_batch(
        &self,
        txn: &DatabaseTransaction,
        table: &DynIden,
        key: &DynIden,
        lower: Option<&BatchKey>,
    ) -> Result<Option<(BatchKey, i64)>, DbErr> {
        let keys = |order: Order| {
            Query::select()
                .column(key.clone())
                .from(table.clone())
                .cond_where(self.rows_after(key, lower))
                .order_by(key.clone(), order)
                .limit(1)
                .to_owned()
        };
        let read = |row: &sea_orm::QueryResult| {
            BatchKey::read(row, 0)?
                .ok_or_else(|| DbErr::Custom("the batch key column holds NULL".into()))
        };
        let nth = keys(Order::Asc).offset(self.batch_size - 1).to_owned();
        if let Some(row) = txn.query_one(&nth).await? {
            return Ok(Some((read(&row)?, self.batch_size as i64)));
        }
        let left = self.count_after(txn, lower).await?.unwrap_or(0);
        if left == 0 {
            return Ok(None);
        }
        match txn.query_one(&keys(Order::Desc)).await? {
            Some(row) => Ok(Some((read(&row)?, left as i64))),
            None => Ok(None),
        }
    }

    fn progress_of(&self, state: &Checkpoint, resumed_after: u64, started: Instant) -> Progress {
        let done = non_negative(state.rows_done);
        let total = Ord::max(non_negative(state.rows_total), done);
        let this_run = done.saturating_sub(resumed_after);
        let elapsed = started.elapsed().as_secs_f64();
        let rate = if elapsed > 0.0 {
            this_run as f64 / elapsed
        } else {
            0.0
        };
        let eta = (rate > 0.0).then(|| Duration::from_secs_f64((total - done) as f64 / rate));
        Progress {
            version: self.version.clone(),
            step: self.step.clone(),
            rows_done: done,
            rows_total: total,
            batches: non_negative(state.batches),
            rate,
            eta,
        }
    }

    fn batch_failed(&self, state: &Checkpoint, error: DbErr) -> DbErr {
        let n = state.batches + 1;
        let (after, kept) = match &state.last_key {
            Some(key) => (
                format!("keys after {}", crate::display::visible(&key.to_text())),
                format!(
                    "batches 1 to {} are committed ({} rows, checkpoint at key {})",
                    state.batches,
                    state.rows_done,
                    crate::display::visible(&key.to_text())
                ),
            ),
            None => (
                "the first keys".to_owned(),
                "no batch was committed".to_owned(),
            ),
        };
        DbErr::Migration(format!(
            "data migration {} step `{}`: batch {n} ({after}) failed and was rolled back: \
             {error}. {kept}; run it again to resume from there",
            self.version, self.step
        ))
    }
}

/// An identifier as an owned string, so that sea-query escapes quotes in it.
fn owned(iden: impl IntoIden) -> DynIden {
    Alias::new(iden.into_iden().to_string()).into_iden()
}

/// A count read from the database, as unsigned.
fn non_negative(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
