//! `db-migrate entities`: the project's entity list as the CLI sees it (each
//! entity's table and counts), without a database; an empty list is an error.

mod support;

use std::process::ExitCode;

use sea_orm_migration::MigratorTrait;
use support::Sandbox;

/// The tables of this workspace's entities, in the list's order.
fn entity_tables() -> Vec<String> {
    let helper = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    entity::all_entities(&helper)
        .iter()
        .map(|(table, _, _)| {
            let name = table.get_table_name().expect("a table name");
            match name {
                sea_orm::sea_query::TableRef::Table(t, _) => t.1.to_string(),
                other => panic!("unexpected table ref {other:?}"),
            }
        })
        .collect()
}

#[test]
fn entities_lists_every_entity_with_its_table_and_counts_without_a_database() {
    let s = Sandbox::new();
    // No URL and outside the workspace: `entities` needs no database.
    let text = s.run_raw(&["entities"], &[]).ok().to_owned();
    let tables = entity_tables();
    assert!(tables.len() >= 2, "{tables:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("{} entities:", tables.len()), "{text}");
    for (line, table) in lines[1..].iter().zip(&tables) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[0], table, "{text}");
        assert!(line.contains(" column"), "{line}");
        assert!(line.contains(" index"), "{line}");
        assert!(line.contains(" foreign key"), "{line}");
    }
    assert_eq!(lines.len(), tables.len() + 1, "{text}");
    assert!(
        support::files(s.path()).is_empty(),
        "no database file is created"
    );

    let doc = s.run_raw(&["entities", "--json"], &[]).json();
    assert_eq!(doc["count"], tables.len());
    let listed: Vec<&str> = doc["entities"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|e| e["table"].as_str().expect("a table"))
        .collect();
    assert_eq!(listed, tables);
    let users = doc["entities"]
        .as_array()
        .expect("an array")
        .iter()
        .find(|e| e["table"] == "users")
        .expect("users is an entity");
    let helper = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    let columns = helper
        .create_table_from_entity(entity::users::Entity)
        .get_columns()
        .len();
    assert_eq!(users["columns"], columns);
    assert_eq!(users["primary_key"], serde_json::json!(["id"]));
}

#[test]
fn entities_with_an_empty_entity_list_fails() {
    let s = Sandbox::new();
    for json in [false, true] {
        let project = db_migrate::Project {
            entities: |_| Vec::new(),
            migrations: migration::Migrator::migrations,
            migration_dir: s.migration_dir(),
            default_sqlite_path: s.path().join("app.db"),
        };
        let mut args = vec!["db-migrate", "entities"];
        if json {
            args.push("--json");
        }
        assert_eq!(
            db_migrate::main_with_args(project, args),
            ExitCode::from(1),
            "json: {json}"
        );
    }
}
