//! Identifier lengths: names every backend keeps as given.
//!
//! PostgreSQL keeps the first 63 bytes of an identifier and silently drops the rest;
//! MySQL and MariaDB refuse names longer than 64 characters (error 1059). SQLite has no
//! limit. So a name that is to mean the same thing on every backend is at most
//! [`MAX_IDENT_BYTES`] bytes long.
//!
//! - Names this tool makes up or takes from entities for indexes, unique constraints
//!   and foreign keys are shortened by [`fit_name`]: deterministic, the same on every
//!   backend, so the database keeps exactly the name the migration and the diff use.
//! - Table and column names are the user's and reach application queries: they are
//!   never shortened; [`check_identifier`] refuses a longer one with a clear error.

use sha2::{Digest, Sha256};

/// The longest identifier, in bytes, that every backend keeps exactly (PostgreSQL's
/// `NAMEDATALEN - 1`).
pub const MAX_IDENT_BYTES: usize = 63;

/// Hex digits of the hash suffix [`fit_name`] appends.
const HASH_DIGITS: usize = 8;

/// `name` if it is at most [`MAX_IDENT_BYTES`] bytes long; otherwise its longest prefix
/// that fits (cut at a character boundary), `_` and the first 8 hex digits of the
/// SHA-256 of the whole name, [`MAX_IDENT_BYTES`] bytes or fewer in all.
///
/// The result depends only on `name`, so every backend, every run and both sides of
/// the diff agree on it; two long names with the same prefix get different suffixes.
pub fn fit_name(name: &str) -> String {
    if name.len() <= MAX_IDENT_BYTES {
        return name.to_owned();
    }
    let digest = Sha256::digest(name.as_bytes());
    let suffix: String = digest
        .iter()
        .take(HASH_DIGITS / 2)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let mut cut = MAX_IDENT_BYTES - HASH_DIGITS - 1;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let prefix = name[..cut].trim_end_matches(['_', '-']);
    format!("{prefix}_{suffix}")
}

/// A table or column name longer than every backend keeps.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} `{}` is {len} bytes long: PostgreSQL keeps only the first {max} bytes of a \
     name and MySQL refuses names over 64 characters; give it a name of at most {max} bytes \
     (for an entity: `#[sea_orm(table_name = \"...\")]` or `#[sea_orm(column_name = \"...\")]`)",
    crate::display::visible(name),
    max = MAX_IDENT_BYTES
)]
pub struct NameTooLong {
    /// What the name names: `table`, or `column of table "users"`.
    pub what: String,
    /// The name.
    pub name: String,
    /// Its length in bytes.
    pub len: usize,
}

/// Refuses `name` when it is longer than [`MAX_IDENT_BYTES`] bytes.
pub fn check_identifier(what: &str, name: &str) -> Result<(), NameTooLong> {
    if name.len() <= MAX_IDENT_BYTES {
        return Ok(());
    }
    Err(NameTooLong {
        what: what.to_owned(),
        name: name.to_owned(),
        len: name.len(),
    })
}

/// PostgreSQL's own name for a constraint it names (`makeObjectName`): `table_cols_label`,
/// where the longer of `table` and `cols` is cut, a byte at a time at a character
/// boundary, until the whole fits in [`MAX_IDENT_BYTES`] bytes. This is the name
/// PostgreSQL gives an unnamed foreign key (`label` `fkey`) or unique constraint (`key`).
pub fn postgres_default_name(table: &str, cols: &str, label: &str) -> String {
    let overhead = label.len() + 1 + usize::from(!cols.is_empty());
    let avail = MAX_IDENT_BYTES.saturating_sub(overhead);
    let (mut t, mut c) = (table.len(), cols.len());
    while t + c > avail {
        if t > c {
            t -= 1;
        } else {
            c -= 1;
        }
    }
    let clip = |s: &str, mut n: usize| {
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s[..n].to_owned()
    };
    let table = clip(table, t);
    let cols = clip(cols, c);
    if cols.is_empty() {
        format!("{table}_{label}")
    } else {
        format!("{table}_{cols}_{label}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept() {
        assert_eq!(fit_name("idx-users-email"), "idx-users-email");
        let exact = "a".repeat(MAX_IDENT_BYTES);
        assert_eq!(fit_name(&exact), exact);
    }

    #[test]
    fn long_names_fit_and_are_stable_and_distinct() {
        let long = format!("idx-{}-email", "t".repeat(70));
        let fitted = fit_name(&long);
        assert!(fitted.len() <= MAX_IDENT_BYTES, "{fitted}");
        assert_eq!(fitted, fit_name(&long));
        assert!(fitted.starts_with("idx-tttt"));
        let other = format!("idx-{}-name", "t".repeat(70));
        assert_ne!(fit_name(&other), fitted);
        // A fitted name is short enough to stay as it is.
        assert_eq!(fit_name(&fitted), fitted);
    }

    #[test]
    fn long_names_are_cut_at_a_character_boundary() {
        let long = "é".repeat(60);
        let fitted = fit_name(&long);
        assert!(fitted.len() <= MAX_IDENT_BYTES);
        assert!(fitted.starts_with("éé"));
    }

    #[test]
    fn identifiers_over_63_bytes_are_refused() {
        assert!(check_identifier("table", &"a".repeat(63)).is_ok());
        let err = check_identifier("table", &"a".repeat(64)).unwrap_err();
        assert!(err.to_string().contains("64 bytes"), "{err}");
    }

    #[test]
    fn postgres_default_names_match_make_object_name() {
        assert_eq!(
            postgres_default_name("users", "org_id", "fkey"),
            "users_org_id_fkey"
        );
        // 70 + 7 characters: the table part is cut first, then both in turn.
        let name = postgres_default_name(&"t".repeat(70), "user_id", "fkey");
        assert_eq!(name.len(), MAX_IDENT_BYTES);
        assert_eq!(name, format!("{}_user_id_fkey", "t".repeat(50)));
    }
}
