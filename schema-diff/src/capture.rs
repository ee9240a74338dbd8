//! SQL capture and checksums: what a migration sends, without a database.
//!
//! [`capture_up_sql`] and [`capture_down_sql`] run a migration's `up` or `down` against
//! a recording connection built on sea-orm's mock driver: every statement the
//! migration sends is recorded, every `execute` succeeds (no rows affected) and every
//! query returns no rows. Nothing reaches a real database.
//!
//! **Helpers that read the catalog** see an empty database, and their SQL is what
//! they send for it:
//!
//! - [`crate::runtime::rebuild_sqlite_table`] works through the mock: its catalog
//!   reads (`PRAGMA foreign_keys`, the referencing tables, `PRAGMA legacy_alter_table`,
//!   `PRAGMA foreign_key_check`) find foreign keys off, no referencing table, `0` and no
//!   violation, so the capture holds the whole rebuild: `DROP TABLE IF EXISTS` of the
//!   temporary table, its `CREATE TABLE`, the `INSERT ... SELECT`, the `DROP TABLE`, the
//!   rename between `PRAGMA legacy_alter_table = ON` and `= 0`, and the `CREATE INDEX`es;
//! - [`crate::runtime::replace_primary_key`] finds no current key: the `DROP
//!   CONSTRAINT` (PostgreSQL) or `DROP PRIMARY KEY` (MySQL) of the real run is absent;
//! - [`crate::runtime::recreate_postgres_enum`] finds no column of the type: the
//!   per-column conversions are absent;
//! - `SchemaManager::has_table`, `has_column` and `has_index` get no answer and fail.
//!
//! The catalog queries themselves are part of the capture (with their parameters
//! inlined), so a changed helper argument still changes the [`checksum`].
//! Transaction control (`BEGIN`, `COMMIT`, savepoints) is not.

use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::{
    DatabaseConnection, DatabaseConnectionType, DbBackend, DbErr, ExecResult, MockDatabase,
    MockDatabaseConnection, MockDatabaseTrait, MockExecResult, QueryResult, Statement, Transaction,
};
use sea_orm_migration::{MigrationTrait, SchemaManager};
use sha2::{Digest, Sha256};

/// The SQL `migration.up` sends on `backend`, one string per statement, in order.
///
/// Runs `up` against a recording mock connection (see the [module docs](self) for
/// what catalog-reading helpers record). An error of the migration itself (for
/// example a generated `Err` for a change this backend cannot make) is returned as is;
/// a panic while the migration builds a statement (sea-query has no SQL for a type on
/// this backend) is an error naming the migration ([`crate::guard::catch_panics`]).
pub async fn capture_up_sql(
    migration: &dyn MigrationTrait,
    backend: DbBackend,
) -> Result<Vec<String>, DbErr> {
    capture(migration, backend, Direction::Up).await
}

/// The SQL `migration.down` sends on `backend`; see [`capture_up_sql`].
pub async fn capture_down_sql(
    migration: &dyn MigrationTrait,
    backend: DbBackend,
) -> Result<Vec<String>, DbErr> {
    capture(migration, backend, Direction::Down).await
}

#[derive(Clone, Copy)]
enum Direction {
    Up,
    Down,
}

async fn capture(
    migration: &dyn MigrationTrait,
    backend: DbBackend,
    direction: Direction,
) -> Result<Vec<String>, DbErr> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder {
        backend,
        log: Arc::clone(&log),
    };
    let db: DatabaseConnection = DatabaseConnectionType::MockDatabaseConnection(Arc::new(
        MockDatabaseConnection::new(recorder),
    ))
    .into();
    {
        let manager = SchemaManager::new(&db);
        let backend_name =
            crate::Dialect::of(backend).map_or("this backend", crate::portable::dialect_name);
        let (what, run) = match direction {
            Direction::Up => ("capturing the SQL of up", migration.up(&manager)),
            Direction::Down => ("capturing the SQL of down", migration.down(&manager)),
        };
        let what = format!("{what} on {backend_name}");
        crate::guard::catch_panics(migration.name(), &what, run).await?;
    }
    let statements = std::mem::take(&mut *log.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(statements)
}

/// A mock database that records every statement and answers everything.
#[derive(Debug)]
struct Recorder {
    backend: DbBackend,
    log: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn record(&self, stmt: &Statement) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(stmt.to_string());
    }
}

impl MockDatabaseTrait for Recorder {
    fn execute(&mut self, _counter: usize, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.record(&stmt);
        // `ExecResult` has no public constructor: a one-shot `MockDatabase` makes one.
        MockDatabase::new(self.backend)
            .append_exec_results([MockExecResult::default()])
            .execute(0, stmt)
    }

    fn query(&mut self, _counter: usize, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.record(&stmt);
        Ok(Vec::new())
    }

    fn begin(&mut self) {}

    fn commit(&mut self) {}

    fn rollback(&mut self) {}

    fn drain_transaction_log(&mut self) -> Vec<Transaction> {
        Vec::new()
    }

    fn get_database_backend(&self) -> DbBackend {
        self.backend
    }

    fn ping(&self) -> Result<(), DbErr> {
        Ok(())
    }
}

/// A stable SHA-256 hex digest (64 lowercase hex digits) of `statements`.
///
/// Each statement is normalized for insignificant whitespace: outside quoted strings
/// and identifiers (`'...'`, `"..."`, `` `...` ``), runs of whitespace become one space,
/// whitespace next to `(`, `)` and `,` and at either end is dropped, and a trailing
/// `;` is dropped. The normalized statements are joined with a NUL byte (`\0`) and
/// hashed. So the digest changes when a statement, their order or their number
/// changes, and not when only the layout does.
pub fn checksum(statements: &[String]) -> String {
    let mut hasher = Sha256::new();
    for (i, statement) in statements.iter().enumerate() {
        if i > 0 {
            hasher.update([0u8]);
        }
        hasher.update(normalize(statement).as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `statement` with insignificant whitespace removed; see [`checksum`].
pub fn normalize(statement: &str) -> String {
    let mut out = String::with_capacity(statement.len());
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    for c in statement.chars() {
        if let Some(q) = quote {
            out.push(c);
            // A doubled quote inside a quoted part closes and reopens it: same result.
            if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let tight = |c: char| matches!(c, '(' | ')' | ',');
        if pending_space && !out.is_empty() && !tight(c) && !out.ends_with(tight) {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
        if matches!(c, '\'' | '"' | '`') {
            quote = Some(c);
        }
    }
    while out.ends_with(';') {
        out.pop();
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{checksum, normalize};

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn normalize_drops_layout_but_keeps_quoted_text() {
        assert_eq!(
            normalize(
                "  CREATE TABLE \"a  b\" (\n    \"id\" integer ,\n  \"x\" text DEFAULT 'two  spaces'\n) ;  "
            ),
            "CREATE TABLE \"a  b\"(\"id\" integer,\"x\" text DEFAULT 'two  spaces')"
        );
        assert_eq!(normalize("SELECT 'it''s  ok'"), "SELECT 'it''s  ok'");
        assert_eq!(normalize("DROP   TABLE `t`;"), "DROP TABLE `t`");
    }

    #[test]
    fn checksum_ignores_whitespace_only() {
        let base = strings(&[
            r#"CREATE TABLE "users" ( "id" integer NOT NULL PRIMARY KEY, "email" varchar(255) NOT NULL )"#,
            r#"CREATE INDEX "idx-users-email" ON "users" ("email")"#,
        ]);
        let digest = checksum(&base);
        assert_eq!(digest.len(), 64);
        assert!(
            digest
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );

        let relaid = strings(&[
            "CREATE TABLE \"users\" (\n  \"id\" integer NOT NULL PRIMARY KEY,\n  \"email\" varchar(255) NOT NULL\n);",
            "CREATE INDEX \"idx-users-email\"   ON \"users\" (\"email\")\n",
        ]);
        assert_eq!(checksum(&relaid), digest);

        let mut changed = base.clone();
        changed[1] = r#"CREATE UNIQUE INDEX "idx-users-email" ON "users" ("email")"#.into();
        assert_ne!(checksum(&changed), digest);

        let mut in_literal = base.clone();
        in_literal[0] = base[0].replace("varchar(255)", "varchar(255) DEFAULT 'a b'");
        let mut in_literal_2 = base.clone();
        in_literal_2[0] = base[0].replace("varchar(255)", "varchar(255) DEFAULT 'a  b'");
        assert_ne!(checksum(&in_literal), checksum(&in_literal_2));

        let reordered = vec![base[1].clone(), base[0].clone()];
        assert_ne!(checksum(&reordered), digest);
        let joined = vec![format!("{} {}", base[0], base[1])];
        assert_ne!(checksum(&joined), digest);
    }
}
