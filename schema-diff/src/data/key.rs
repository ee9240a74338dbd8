//! The value of a batch key: an integer, a string or (PostgreSQL) a UUID.

use sea_orm::prelude::Uuid;
use sea_orm::{DbErr, QueryResult, Value};

/// One value of the key column a data migration walks in order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum BatchKey {
    /// Any integer column that fits in an `i64`.
    Int(i64),
    /// A text column (`varchar`, `text`; UUIDs stored as text on MySQL and SQLite).
    Text(String),
    /// A PostgreSQL `uuid` column.
    Uuid(Uuid),
}

impl BatchKey {
    /// The kind stored in the checkpoint table: `int`, `text` or `uuid`.
    pub fn kind(&self) -> &'static str {
        match self {
            BatchKey::Int(_) => "int",
            BatchKey::Text(_) => "text",
            BatchKey::Uuid(_) => "uuid",
        }
    }

    /// The value as stored in the checkpoint table.
    pub fn to_text(&self) -> String {
        match self {
            BatchKey::Int(n) => n.to_string(),
            BatchKey::Text(s) => s.clone(),
            BatchKey::Uuid(u) => u.to_string(),
        }
    }

    /// A key read back from the checkpoint table.
    pub fn parse(kind: &str, text: &str) -> Result<Self, DbErr> {
        let bad = |what: &str| {
            DbErr::Custom(format!(
                "{} holds a {kind} key that is not {what}",
                super::checkpoint::CHECKPOINT_TABLE
            ))
        };
        match kind {
            "int" => text
                .parse()
                .map(BatchKey::Int)
                .map_err(|_| bad("an integer")),
            "text" => Ok(BatchKey::Text(text.to_owned())),
            "uuid" => Uuid::parse_str(text)
                .map(BatchKey::Uuid)
                .map_err(|_| bad("a UUID")),
            other => Err(DbErr::Custom(format!(
                "{} holds an unknown key kind `{other}`",
                super::checkpoint::CHECKPOINT_TABLE
            ))),
        }
    }

    /// The key in column `index` of `row`, whatever its SQL type; `None` when NULL.
    pub(crate) fn read(row: &QueryResult, index: usize) -> Result<Option<Self>, DbErr> {
        if let Ok(v) = row.try_get_by_index::<Option<i64>>(index) {
            return Ok(v.map(BatchKey::Int));
        }
        if let Ok(v) = row.try_get_by_index::<Option<i32>>(index) {
            return Ok(v.map(|n| BatchKey::Int(n.into())));
        }
        if let Ok(v) = row.try_get_by_index::<Option<i16>>(index) {
            return Ok(v.map(|n| BatchKey::Int(n.into())));
        }
        if let Ok(v) = row.try_get_by_index::<Option<u64>>(index) {
            return v
                .map(|n| {
                    i64::try_from(n).map(BatchKey::Int).map_err(|_| {
                        DbErr::Custom(format!("the key value {n} does not fit in a BIGINT"))
                    })
                })
                .transpose();
        }
        if let Ok(v) = row.try_get_by_index::<Option<u32>>(index) {
            return Ok(v.map(|n| BatchKey::Int(n.into())));
        }
        if let Ok(v) = row.try_get_by_index::<Option<Uuid>>(index) {
            return Ok(v.map(BatchKey::Uuid));
        }
        match row.try_get_by_index::<Option<String>>(index) {
            Ok(v) => Ok(v.map(BatchKey::Text)),
            Err(e) => Err(DbErr::Custom(format!(
                "the batch key must be an integer, text or UUID column: {e}"
            ))),
        }
    }
}

impl From<&BatchKey> for Value {
    fn from(key: &BatchKey) -> Value {
        match key {
            BatchKey::Int(n) => (*n).into(),
            BatchKey::Text(s) => s.clone().into(),
            BatchKey::Uuid(u) => (*u).into(),
        }
    }
}

impl std::fmt::Display for BatchKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_their_stored_text() {
        let uuid = Uuid::from_u128(0x1234);
        for key in [
            BatchKey::Int(-42),
            BatchKey::Text("a'b".into()),
            BatchKey::Uuid(uuid),
        ] {
            assert_eq!(BatchKey::parse(key.kind(), &key.to_text()).ok(), Some(key));
        }
        assert!(BatchKey::parse("int", "x").is_err());
        assert!(BatchKey::parse("float", "1").is_err());
    }
}
