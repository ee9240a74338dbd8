//! What a change list or a run of SQL drops; the CS001/CS002 rules.

use super::*;
use crate::ir::{Column, ColumnType, DefaultValue, Index, Table};

fn table(name: &str, columns: &[&str]) -> Table {
    Table {
        name: name.into(),
        columns: columns
            .iter()
            .map(|c| Column::new(*c, ColumnType::Text))
            .collect(),
        ..Table::default()
    }
}

fn schema() -> Schema {
    Schema {
        tables: vec![
            table("users", &["id", "name", "bio"]),
            table("legacy", &["id"]),
        ],
        enums: Vec::new(),
    }
}

fn sql(statements: &[&str]) -> Vec<Dropped> {
    let statements: Vec<String> = statements.iter().map(|s| s.to_string()).collect();
    dropped_by_sql(&statements, &schema())
}

fn t(name: &str) -> Dropped {
    Dropped::Table { table: name.into() }
}

fn c(table: &str, column: &str) -> Dropped {
    Dropped::Column {
        table: table.into(),
        column: column.into(),
    }
}

#[test]
fn drop_statements_of_every_dialect_are_read() {
    assert_eq!(sql(&[r#"DROP TABLE "legacy""#]), [t("legacy")]);
    assert_eq!(
        sql(&["drop table if exists `legacy`, users"]),
        [t("legacy"), t("users")]
    );
    assert_eq!(sql(&["TRUNCATE TABLE public.legacy"]), [t("legacy")]);
    assert_eq!(
        sql(&[r#"ALTER TABLE "users" DROP COLUMN "bio""#]),
        [c("users", "bio")]
    );
    assert_eq!(
        sql(&["ALTER TABLE `users` DROP COLUMN `bio`, DROP name, DROP INDEX x"]),
        [c("users", "bio"), c("users", "name")]
    );
    assert_eq!(
        sql(&[r#"ALTER TABLE "users" ALTER COLUMN "bio" DROP DEFAULT"#]),
        []
    );
    // Unquoted names in another case (PostgreSQL folds them), and DELETE.
    assert_eq!(sql(&["DROP TABLE Legacy"]), [t("legacy")]);
    assert_eq!(
        sql(&["ALTER TABLE USERS DROP COLUMN bio"]),
        [c("users", "bio")]
    );
    assert_eq!(sql(&["DELETE FROM legacy WHERE id > 3"]), [t("legacy")]);
    // Tables and columns the statements create hold nothing.
    assert_eq!(sql(&["CREATE TABLE t (x int)", "DROP TABLE t"]), []);
    assert_eq!(sql(&["DROP TABLE nope"]), []);
    assert_eq!(
        sql(&[
            "ALTER TABLE users ADD COLUMN extra text",
            "ALTER TABLE users DROP COLUMN extra"
        ]),
        []
    );
}

#[test]
fn renames_are_followed_back_to_the_live_names() {
    assert_eq!(
        sql(&["ALTER TABLE legacy RENAME TO old", "DROP TABLE old"]),
        [t("legacy")]
    );
    assert_eq!(
        sql(&[
            "ALTER TABLE users RENAME COLUMN bio TO about",
            "ALTER TABLE users DROP COLUMN about"
        ]),
        [c("users", "bio")]
    );
}

#[test]
fn a_sqlite_rebuild_drops_only_the_columns_it_does_not_copy() {
    let rebuild = [
        r#"DROP TABLE IF EXISTS "users_new""#,
        r#"CREATE TABLE "users_new" ("id" text, "name" text)"#,
        r#"INSERT INTO "users_new" ("id", "name") SELECT "id", "name" FROM "users""#,
        r#"DROP TABLE "users""#,
        r#"ALTER TABLE "users_new" RENAME TO "users""#,
    ];
    assert_eq!(sql(&rebuild), [c("users", "bio")]);
    let mut then_drop = rebuild.to_vec();
    then_drop.push(r#"DROP TABLE "users""#);
    assert_eq!(sql(&then_drop), [c("users", "bio"), t("users")]);
}

#[test]
fn dropped_by_changes_names_live_tables_and_columns() {
    let changes = vec![
        Change::DropTable {
            table: table("legacy", &["id"]),
        },
        Change::DropColumn {
            table: "users".into(),
            column: Column::new("bio", ColumnType::Text),
        },
        Change::DropColumn {
            table: "legacy".into(),
            column: Column::new("id", ColumnType::Text),
        },
    ];
    assert_eq!(
        dropped_by_changes(&changes),
        [t("legacy"), c("users", "bio")]
    );
}

#[test]
fn dropping_a_default_or_a_unique_index_is_a_hazard() {
    let mut from = Column::new("role", ColumnType::Text);
    from.default = Some(DefaultValue::String("member".into()));
    let to = Column::new("role", ColumnType::Text);
    let unique = Index {
        name: "users_name_key".into(),
        columns: vec!["name".into()],
        unique: true,
        constraint: false,
    };
    let changes = vec![
        Change::AlterColumn {
            table: "users".into(),
            from: from.clone(),
            to: to.clone(),
        },
        Change::DropIndex {
            table: "users".into(),
            index: unique.clone(),
        },
    ];
    let codes: Vec<&str> = lint(&changes, &schema()).iter().map(|h| h.code).collect();
    assert_eq!(codes, ["CS001", "CS002"]);
    let hazards = lint(&changes, &schema());
    assert!(hazards[0].message.contains("users.role"), "{hazards:?}");
    assert!(hazards[1].message.contains("users_name_key"), "{hazards:?}");

    // Replaced by a unique index on the same column: no hazard; nor on a new table.
    let mut replaced = changes.clone();
    replaced.push(Change::CreateIndex {
        table: "users".into(),
        index: Index {
            name: "users_name_idx".into(),
            ..unique.clone()
        },
    });
    let codes: Vec<&str> = lint(&replaced, &schema()).iter().map(|h| h.code).collect();
    assert!(
        codes.contains(&"CS001") && !codes.contains(&"CS002"),
        "{codes:?}"
    );
    let mut kept_default = to;
    kept_default.default = Some(DefaultValue::String("guest".into()));
    let changed = vec![Change::AlterColumn {
        table: "users".into(),
        from,
        to: kept_default,
    }];
    assert!(lint(&changed, &schema()).iter().all(|h| h.code != "CS001"));
}
