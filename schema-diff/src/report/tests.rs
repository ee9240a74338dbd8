//! The report model over IR literals, its escaping, and a snapshot of a small report.

use super::*;
use crate::ir::{Column, ColumnType, DefaultValue, ForeignKey, Index, Table};
use crate::{Dialect, DiffOptions, Schema};

fn table(name: &str, columns: Vec<Column>) -> Table {
    Table {
        name: name.into(),
        primary_key: vec!["id".into()],
        columns,
        ..Table::default()
    }
}

fn id() -> Column {
    Column {
        auto_increment: true,
        ..Column::new("id", ColumnType::Integer)
    }
}

fn nullable(name: &str, ty: ColumnType) -> Column {
    Column {
        nullable: true,
        ..Column::new(name, ty)
    }
}

/// The report of going from `actual` to `desired` on PostgreSQL, through the real
/// differ and lint.
fn report_of(actual: &Schema, desired: &Schema) -> SchemaReport {
    let dialect = Dialect::Postgres;
    let changes = crate::diff(actual, desired, dialect, &DiffOptions::default());
    let hazards = crate::lint::lint(&changes, actual);
    SchemaReport::build(&ReportInput {
        from_label: "postgres://app@db/app",
        to_label: "entities",
        dialect,
        actual,
        desired,
        changes: &changes,
        hazards: &hazards,
    })
}

/// users(id, name varchar(100), legacy) + posts, and the wanted users(id, name
/// varchar(255) default 'x', bio) + tags.
fn drifted() -> (Schema, Schema) {
    let mut users_before = table(
        "users",
        vec![
            id(),
            Column::new("name", ColumnType::String(Some(100))),
            nullable("legacy", ColumnType::Text),
        ],
    );
    users_before.indexes.push(Index {
        name: "idx_users_name".into(),
        columns: vec!["name".into()],
        unique: false,
        constraint: false,
    });
    let posts = table("posts", vec![id(), nullable("title", ColumnType::Text)]);
    let same = table("settings", vec![id()]);
    let actual = Schema {
        tables: vec![posts, same.clone(), users_before],
        enums: vec![],
    };
    let mut users_after = table(
        "users",
        vec![
            id(),
            Column {
                default: Some(DefaultValue::String("x".into())),
                ..Column::new("name", ColumnType::String(Some(255)))
            },
            nullable("bio", ColumnType::Text),
        ],
    );
    users_after.foreign_keys.push(ForeignKey {
        name: None,
        columns: vec!["id".into()],
        ref_table: "tags".into(),
        ref_columns: vec!["id".into()],
        on_delete: crate::ir::FkAction::Cascade,
        on_update: crate::ir::FkAction::NoAction,
    });
    let tags = table("tags", vec![id(), Column::new("label", ColumnType::Text)]);
    let desired = Schema {
        tables: vec![same, tags, users_after],
        enums: vec![],
    };
    (actual, desired)
}

fn find<'a>(report: &'a SchemaReport, name: &str) -> &'a TableReport {
    report
        .tables
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no table {name} in {report:#?}"))
}

#[test]
fn tables_get_their_status_from_the_change_list() {
    let (actual, desired) = drifted();
    let report = report_of(&actual, &desired);
    let statuses: Vec<(&str, Status)> = report
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("posts", Status::Removed),
            ("settings", Status::Same),
            ("tags", Status::Added),
            ("users", Status::Changed),
        ]
    );
    let s = report.summary;
    assert_eq!(
        (
            s.tables_added,
            s.tables_removed,
            s.tables_changed,
            s.tables_same
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(
        (s.columns_added, s.columns_removed, s.columns_changed),
        (1, 1, 1)
    );
    assert!(s.changes >= 5, "{s:?}");
    assert!(!report.is_equal());
    // Columns of an added table are all added, of a removed one all removed.
    assert!(
        find(&report, "tags")
            .columns
            .iter()
            .all(|c| c.status == Status::Added && c.database.is_none())
    );
    assert!(
        find(&report, "posts")
            .columns
            .iter()
            .all(|c| c.status == Status::Removed && c.entity.is_none())
    );
}

#[test]
fn a_changed_table_lines_its_columns_up_side_by_side() {
    let (actual, desired) = drifted();
    let report = report_of(&actual, &desired);
    let users = find(&report, "users");
    let rows: Vec<(&str, Status)> = users
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.status))
        .collect();
    // The removed column stays where it stood, after `name`.
    assert_eq!(
        rows,
        [
            ("id", Status::Same),
            ("name", Status::Changed),
            ("legacy", Status::Removed),
            ("bio", Status::Added),
        ]
    );
    let name = &users.columns[1];
    let (before, after) = (name.database.as_ref(), name.entity.as_ref());
    assert_eq!(before.map(|s| s.ty.as_str()), Some("varchar(100)"));
    assert_eq!(after.map(|s| s.ty.as_str()), Some("varchar(255)"));
    assert_eq!(after.and_then(|s| s.default.as_deref()), Some("'x'"));
    assert!(name.differs(Field::Type) && name.differs(Field::Default));
    assert!(!name.differs(Field::Null));
    assert!(!users.columns[0].differs(Field::Type));

    let indexes: Vec<(&str, Status)> = users
        .indexes
        .iter()
        .map(|i| (i.name.as_str(), i.status))
        .collect();
    assert_eq!(
        indexes,
        [
            ("PRIMARY KEY", Status::Same),
            ("idx_users_name", Status::Removed)
        ]
    );
    assert_eq!(users.foreign_keys.len(), 1);
    assert_eq!(users.foreign_keys[0].status, Status::Added);
    assert_eq!(
        users.foreign_keys[0].entity.as_deref(),
        Some("(id) \u{2192} tags (id) on delete cascade")
    );
    // The lint's data-loss hazard for the dropped column is attached to the table.
    assert!(
        users.hazards.iter().any(|h| h.code == "DL002"),
        "{:?}",
        users.hazards
    );
    assert!(report.summary.hazards_danger >= 2, "{:?}", report.summary);
}

#[test]
fn equal_schemas_make_a_report_with_nothing_to_do() {
    let (_, desired) = drifted();
    let report = report_of(&desired, &desired);
    assert!(report.is_equal());
    assert!(report.tables.iter().all(|t| t.status == Status::Same));
    assert_eq!(report.summary.tables_same, 3);
    let html = render_html(&report);
    assert!(html.contains("data-verdict=\"equal\""), "{html}");
    // Empty counts are drawn muted, not in their status colour.
    assert!(
        html.contains("class=\"sr-card sr-zero\" data-summary=\"tables-added\""),
        "{html}"
    );
    assert!(!html.contains("data-status=\"changed\""), "{html}");
}

#[test]
fn a_renamed_column_is_one_changed_row() {
    let actual = Schema {
        tables: vec![table(
            "users",
            vec![id(), nullable("about", ColumnType::Text)],
        )],
        enums: vec![],
    };
    let mut bio = nullable("bio", ColumnType::Text);
    bio.renamed_from = Some("about".into());
    let desired = Schema {
        tables: vec![table("users", vec![id(), bio])],
        enums: vec![],
    };
    let report = report_of(&actual, &desired);
    let users = find(&report, "users");
    assert_eq!(users.columns.len(), 2, "{users:#?}");
    assert_eq!(users.columns[1].name, "bio");
    assert_eq!(users.columns[1].renamed_from.as_deref(), Some("about"));
    assert_eq!(users.columns[1].status, Status::Changed);
}

#[test]
fn the_report_round_trips_through_json() {
    let (actual, desired) = drifted();
    let report = report_of(&actual, &desired);
    let json = serde_json::to_value(&report).expect("serializes");
    assert_eq!(json["tables"][0]["status"], "removed");
    assert_eq!(
        json["tables"][3]["columns"][1]["entity"]["type"],
        "varchar(255)"
    );
    let back: SchemaReport = serde_json::from_value(json).expect("deserializes");
    assert_eq!(back, report);
}

#[test]
fn names_and_values_are_escaped_in_the_html() {
    let hostile = "<script>alert(1)</script>";
    let actual = Schema::default();
    let mut evil = table(
        hostile,
        vec![id(), nullable("say \"hi\" & <b>bye</b>", ColumnType::Text)],
    );
    evil.columns[1].default = Some(DefaultValue::String(
        "</td><img src=x onerror=alert(2)>".into(),
    ));
    evil.columns[1].comment = Some("line\u{202e}break\n".into());
    let desired = Schema {
        tables: vec![evil],
        enums: vec![],
    };
    let mut report = report_of(&actual, &desired);
    report.from = "<i>from</i>".into();
    for html in [render_html(&report), render_body(&report)] {
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("<i>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("say &quot;hi&quot; &amp; &lt;b&gt;bye&lt;/b&gt;"),
            "{html}"
        );
        // Inside attributes too: the quote cannot end the attribute early.
        assert!(
            html.contains("data-column=\"say &quot;hi&quot; &amp; &lt;b&gt;bye&lt;/b&gt;\""),
            "{html}"
        );
        // Direction overrides and line breaks are shown, not obeyed.
        assert!(html.contains("line\\u{202e}break\\n"), "{html}");
        assert!(!html.contains('\u{202e}'), "{html}");
    }
}

#[test]
fn the_document_is_self_contained() {
    let (actual, desired) = drifted();
    let html = render_html(&report_of(&actual, &desired));
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<style>"), "inline styles");
    assert!(html.contains("prefers-color-scheme: dark"), "dark mode");
    assert!(html.contains("@media print"), "print styles");
    for external in [
        "<script", "<link", "src=", "url(", "@import", "http://", "https://",
    ] {
        assert!(!html.contains(external), "{external} in {html}");
    }
}

#[test]
fn snapshot_of_a_small_report() {
    let (actual, desired) = drifted();
    let report = report_of(&actual, &desired);
    let body = render_body(&report).replace("><", ">\n<");
    insta::assert_snapshot!(body);
}

#[test]
fn enum_types_and_removed_foreign_keys_are_reported() {
    let enum_type = |name: &str, values: &[&str]| crate::ir::EnumType {
        name: name.into(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    };
    let mut docs = table(
        "documents",
        vec![id(), Column::new("owner_id", ColumnType::Integer)],
    );
    docs.foreign_keys.push(ForeignKey {
        name: Some("fk_owner".into()),
        columns: vec!["owner_id".into()],
        ref_table: "users".into(),
        ref_columns: vec!["id".into()],
        on_delete: crate::ir::FkAction::SetNull,
        on_update: crate::ir::FkAction::NoAction,
    });
    let users = table("users", vec![id()]);
    let actual = Schema {
        tables: vec![docs.clone(), users.clone()],
        enums: vec![
            enum_type("legacy", &["old"]),
            enum_type("status", &["draft", "published"]),
        ],
    };
    docs.foreign_keys.clear();
    let desired = Schema {
        tables: vec![docs, users],
        enums: vec![enum_type("status", &["draft", "published", "archived"])],
    };
    let report = report_of(&actual, &desired);
    let enums: Vec<(&str, Status)> = report
        .enums
        .iter()
        .map(|e| (e.name.as_str(), e.status))
        .collect();
    assert_eq!(
        enums,
        [("legacy", Status::Removed), ("status", Status::Changed)]
    );
    let documents = find(&report, "documents");
    assert_eq!(documents.status, Status::Changed);
    assert_eq!(documents.foreign_keys.len(), 1);
    assert_eq!(documents.foreign_keys[0].status, Status::Removed);
    assert_eq!(
        documents.foreign_keys[0].database.as_deref(),
        Some("(owner_id) \u{2192} users (id) on delete set null")
    );
    assert_eq!(find(&report, "users").status, Status::Same);
    let html = render_body(&report);
    assert!(html.contains("Enum types"), "{html}");
    assert!(html.contains("draft, published, archived"), "{html}");
}
