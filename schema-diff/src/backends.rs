//! The backends a project deploys to, and so the backends a migration is rendered
//! for: `backends = ["postgres"]` in `db-migrate.toml`. The default is all three.
//!
//! A module rendered for a subset holds only the statements of those backends (no
//! branch of another) and refuses, before any statement, to run anywhere else.

use std::fmt;

use crate::Dialect;
use crate::portable::{DIALECTS, dialect_name};

/// A non-empty set of backends. `Default` is all three.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Backends {
    sqlite: bool,
    postgres: bool,
    mysql: bool,
}

impl Default for Backends {
    fn default() -> Self {
        Backends::ALL
    }
}

/// A name in a `backends` list that is none of `sqlite`, `postgres`, `mysql`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend `{0}`: expected sqlite, postgres or mysql")]
pub struct UnknownBackend(pub String);

impl Backends {
    /// SQLite, PostgreSQL and MySQL/MariaDB.
    pub const ALL: Backends = Backends {
        sqlite: true,
        postgres: true,
        mysql: true,
    };

    /// The set of `dialects`; `None` when it is empty.
    pub fn of(dialects: &[Dialect]) -> Option<Backends> {
        if dialects.is_empty() {
            return None;
        }
        let mut set = Backends {
            sqlite: false,
            postgres: false,
            mysql: false,
        };
        for dialect in dialects {
            match dialect {
                Dialect::Sqlite => set.sqlite = true,
                Dialect::Postgres => set.postgres = true,
                Dialect::MySql => set.mysql = true,
            }
        }
        Some(set)
    }

    /// The dialect a configuration name stands for: `sqlite`, `postgres`
    /// (`postgresql`), `mysql` (`mariadb`), in any case.
    pub fn parse_name(name: &str) -> Result<Dialect, UnknownBackend> {
        match name.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Dialect::Sqlite),
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::MySql),
            _ => Err(UnknownBackend(name.to_owned())),
        }
    }

    /// Whether `dialect` is in the set.
    pub fn contains(&self, dialect: Dialect) -> bool {
        match dialect {
            Dialect::Sqlite => self.sqlite,
            Dialect::Postgres => self.postgres,
            Dialect::MySql => self.mysql,
        }
    }

    /// Whether the set holds all three backends.
    pub fn is_all(&self) -> bool {
        *self == Backends::ALL
    }

    /// The dialects of the set, in the order SQLite, PostgreSQL, MySQL.
    pub fn dialects(&self) -> Vec<Dialect> {
        DIALECTS.into_iter().filter(|d| self.contains(*d)).collect()
    }

    /// The configuration name of `dialect`: `sqlite`, `postgres` or `mysql`.
    pub fn config_name(dialect: Dialect) -> &'static str {
        match dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
        }
    }

    /// The set as a `db-migrate.toml` value: `["postgres", "mysql"]`.
    pub fn config_list(&self) -> String {
        let names: Vec<String> = self
            .dialects()
            .into_iter()
            .map(|d| format!("\"{}\"", Backends::config_name(d)))
            .collect();
        format!("[{}]", names.join(", "))
    }

    /// The message a module rendered for this set stops with elsewhere.
    pub fn refusal(&self) -> String {
        format!(
            "this migration was rendered for {self} only and cannot run on this database \
             (nothing was changed); regenerate it with the database's backend added to \
             `backends = {}` in db-migrate.toml",
            self.config_list()
        )
    }
}

impl fmt::Display for Backends {
    /// `PostgreSQL`, `PostgreSQL and MySQL`, `SQLite, PostgreSQL and MySQL`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.dialects().into_iter().map(dialect_name).collect();
        match names.split_last() {
            Some((last, [])) => f.write_str(last),
            Some((last, rest)) => write!(f, "{} and {last}", rest.join(", ")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_display() {
        let set = Backends::of(&[Dialect::MySql, Dialect::Postgres]).expect("non-empty");
        assert_eq!(set.to_string(), "PostgreSQL and MySQL");
        assert_eq!(set.config_list(), r#"["postgres", "mysql"]"#);
        assert_eq!(Backends::ALL.to_string(), "SQLite, PostgreSQL and MySQL");
        assert!(Backends::default().is_all());
        assert_eq!(Backends::of(&[]), None);
        assert_eq!(Backends::parse_name("MariaDB"), Ok(Dialect::MySql));
        assert!(Backends::parse_name("oracle").is_err());
    }
}
