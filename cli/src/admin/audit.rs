//! The audit log: the table `db_migrate_audit` in the managed database, one row
//! per operation attempt (who, role, what, target, result, when, details). It is
//! created on the first write (reads never create it) and, like the other
//! `db_migrate_*` tables, is left out of every schema comparison.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, ColumnDef, Order, Query, Table};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

use super::registry::rfc3339_ms;

/// The audit table's name.
pub const AUDIT_TABLE: &str = "db_migrate_audit";

/// The longest `detail` stored, in characters.
const MAX_DETAIL: usize = 4000;

/// One attempt to record.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Unix time in milliseconds.
    pub at: i64,
    pub actor: String,
    pub role: String,
    /// `upgrade`, `downgrade`, `backup`.
    pub action: String,
    pub target: Option<String>,
    /// `ok`, `failed`, `refused` (data loss not allowed), `denied` (role),
    /// `conflict` (another operation or run).
    pub result: String,
    /// JSON: what was done (versions, the backup file) or the error code.
    pub detail: Value,
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

const COLUMNS: [&str; 7] = [
    "at", "actor", "role", "action", "target", "result", "detail",
];

/// Creates the table if it does not exist.
pub async fn install(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let stmt = Table::create()
        .table(col(AUDIT_TABLE))
        .if_not_exists()
        .col(
            ColumnDef::new(col("id"))
                .integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(ColumnDef::new(col("at")).big_integer().not_null())
        .col(ColumnDef::new(col("actor")).string_len(255).not_null())
        .col(ColumnDef::new(col("role")).string_len(16).not_null())
        .col(ColumnDef::new(col("action")).string_len(32).not_null())
        .col(ColumnDef::new(col("target")).string_len(255).null())
        .col(ColumnDef::new(col("result")).string_len(32).not_null())
        .col(ColumnDef::new(col("detail")).text().null())
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

fn clipped(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Appends `entry` (creating the table first if needed). Its texts are redacted.
pub async fn write(db: &impl ConnectionTrait, entry: &Entry) -> Result<(), DbErr> {
    install(db).await?;
    let redact = crate::redact::redact;
    let detail = crate::redact::redact_json(&entry.detail).to_string();
    let stmt = Query::insert()
        .into_table(col(AUDIT_TABLE))
        .columns(COLUMNS.map(col))
        .values_panic([
            entry.at.into(),
            clipped(&redact(&entry.actor), 255).into(),
            clipped(&entry.role, 16).into(),
            clipped(&entry.action, 32).into(),
            entry
                .target
                .as_deref()
                .map(|t| clipped(&redact(t), 255))
                .into(),
            clipped(&entry.result, 32).into(),
            clipped(&detail, MAX_DETAIL).into(),
        ])
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

/// One row as stored.
struct Row {
    id: i64,
    at: i64,
    actor: String,
    role: String,
    action: String,
    target: Option<String>,
    result: String,
    detail: Option<String>,
}

impl Row {
    fn detail_json(&self) -> Value {
        self.detail
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null)
    }

    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "at": rfc3339_ms(self.at),
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "result": self.result,
            "detail": self.detail_json(),
        })
    }
}

/// Rows newest first (`limit` of them; all with `None`), none when the table
/// does not exist.
async fn rows(
    db: &impl ConnectionTrait,
    limit: Option<u64>,
    newest_first: bool,
) -> Result<Vec<Row>, DbErr> {
    if !schema_diff::runner::table_exists(db, AUDIT_TABLE).await? {
        return Ok(Vec::new());
    }
    let order = if newest_first {
        Order::Desc
    } else {
        Order::Asc
    };
    let mut query = Query::select()
        .column(col("id"))
        .columns(COLUMNS.map(col))
        .from(col(AUDIT_TABLE))
        .order_by(col("id"), order)
        .to_owned();
    if let Some(limit) = limit {
        query.limit(limit);
    }
    let found = db.query_all(&query).await?;
    found
        .iter()
        .map(|row| {
            let id: i64 = match row.try_get::<i64>("", "id") {
                Ok(id) => id,
                Err(_) => i64::from(row.try_get::<i32>("", "id")?),
            };
            Ok(Row {
                id,
                at: row.try_get("", "at")?,
                actor: row.try_get("", "actor")?,
                role: row.try_get("", "role")?,
                action: row.try_get("", "action")?,
                target: row.try_get("", "target")?,
                result: row.try_get("", "result")?,
                detail: row.try_get("", "detail")?,
            })
        })
        .collect()
}

/// The newest `limit` entries, newest first, as `GET /api/audit` shows them.
pub async fn recent(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Value>, DbErr> {
    Ok(rows(db, Some(limit), true)
        .await?
        .iter()
        .map(Row::json)
        .collect())
}

/// Who applied each version through the API: the actor of the successful
/// upgrade that applied it, when it was applied during that upgrade
/// (`applied_at`, Unix seconds, between its start and its end); a later
/// rollback through the API forgets it.
pub async fn applied_by(
    db: &impl ConnectionTrait,
    applied_at: &HashMap<String, i64>,
) -> Result<HashMap<String, String>, DbErr> {
    let mut who = HashMap::new();
    for row in rows(db, None, false).await? {
        if row.result != "ok" {
            continue;
        }
        let detail = row.detail_json();
        let started = detail["started_at_ms"].as_i64().unwrap_or(row.at) / 1000;
        let ended = row.at / 1000 + 1;
        let versions = |key: &str| -> Vec<String> {
            detail[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        match row.action.as_str() {
            "upgrade" => {
                for version in versions("applied") {
                    let during = applied_at
                        .get(&version)
                        .is_some_and(|at| (started..=ended).contains(at));
                    if during {
                        who.insert(version, row.actor.clone());
                    }
                }
            }
            "downgrade" => {
                for version in versions("rolled_back") {
                    who.remove(&version);
                }
            }
            _ => {}
        }
    }
    Ok(who)
}
