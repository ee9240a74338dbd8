//! The report as HTML: a whole self-contained document, or the body fragment for a
//! page that brings its own layout.
//!
//! Every name and value in a report comes from a database or from entity code and is
//! untrusted. It reaches the page only through [`text`]: control and bidirectional
//! characters made visible ([`crate::display::visible`]), then HTML-escaped by
//! `maud` (every `(...)` splice of the templates escapes). The only markup inserted
//! unescaped is [`STYLESHEET`], a constant of this crate. The page needs no
//! JavaScript and loads nothing: styles are inline, colours follow
//! `prefers-color-scheme`, and the rows keep a `+`/`−`/`~` marker so the report reads
//! in black and white too.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{ColumnRow, ColumnSide, Field, ItemRow, ReportHazard, SchemaReport, Status};

/// The report's CSS, every rule scoped under `.schema-report`; a page embedding
/// [`render_body`] puts it in a `<style>` element.
pub const STYLESHEET: &str = include_str!("style.css");

/// `report` as a complete HTML document with its styles inline.
pub fn render_html(report: &SchemaReport) -> String {
    let title = format!("Schema diff: {} \u{2192} {}", report.from, report.to);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="generator" content="db-migrate";
                title { (text(&title)) }
                style { (PreEscaped(STYLESHEET)) }
            }
            body { (body(report)) }
        }
    }
    .into_string()
}

/// `report` as one `<div class="schema-report">` to embed in a page that includes
/// [`STYLESHEET`].
pub fn render_body(report: &SchemaReport) -> String {
    body(report).into_string()
}

/// The one door for report text into HTML: control and bidirectional characters
/// shown as escapes; the caller's `maud` splice then escapes `<`, `>`, `&`, `"`, `'`.
fn text(value: &str) -> String {
    crate::display::visible(value).into_owned()
}

fn body(report: &SchemaReport) -> Markup {
    let s = &report.summary;
    let changed: Vec<_> = report
        .tables
        .iter()
        .filter(|t| t.status != Status::Same)
        .collect();
    let unchanged: Vec<_> = report
        .tables
        .iter()
        .filter(|t| t.status == Status::Same)
        .collect();
    let hazard_total = s.hazards_danger + s.hazards_warning + s.hazards_info;
    html! {
        div.schema-report {
            header.sr-header {
                h1 { "Schema diff" }
                p.sr-sides {
                    span.sr-side-label { "Database" } " " code { (text(&report.from)) }
                    span.sr-arrow { " \u{2192} " }
                    span.sr-side-label { "Wanted" } " " code { (text(&report.to)) }
                    span.sr-dialect { (text(&report.dialect)) }
                }
                @if report.is_equal() {
                    p.sr-verdict.sr-equal data-verdict="equal" {
                        "No changes: the database matches."
                    }
                } @else {
                    p.sr-verdict.sr-differs data-verdict="differs" {
                        (s.changes) " change" @if s.changes != 1 { "s" } " to reach the wanted schema."
                    }
                }
            }
            section.sr-summary aria-label="Summary" {
                (card("tables-added", Status::Added, s.tables_added, "tables added"))
                (card("tables-removed", Status::Removed, s.tables_removed, "tables removed"))
                (card("tables-changed", Status::Changed, s.tables_changed, "tables changed"))
                (card("tables-same", Status::Same, s.tables_same, "tables unchanged"))
                (card("columns-added", Status::Added, s.columns_added, "columns added"))
                (card("columns-removed", Status::Removed, s.columns_removed, "columns removed"))
                (card("columns-changed", Status::Changed, s.columns_changed, "columns changed"))
                div.sr-card.sr-hazard-card data-summary="hazards" {
                    span.sr-count { (hazard_total) }
                    span.sr-label {
                        "hazards"
                        @if hazard_total > 0 {
                            br;
                            (s.hazards_danger) " danger \u{b7} " (s.hazards_warning) " warning \u{b7} "
                            (s.hazards_info) " info"
                        }
                    }
                }
            }
            ul.sr-legend aria-label="Legend" {
                li { span.sr-swatch.sr-added { "+" } "added: only the entities have it" }
                li { span.sr-swatch.sr-removed { "\u{2212}" } "removed: only the database has it" }
                li { span.sr-swatch.sr-changed { "~" } "changed: both have it, differently" }
                li { span.sr-swatch.sr-same { "\u{a0}" } "unchanged" }
            }
            @if !report.hazards.is_empty() {
                section.sr-section {
                    h2 { "Hazards" }
                    (hazard_list(&report.hazards))
                }
            }
            @for table in &changed {
                section.sr-table.(format!("sr-{}", table.status.as_str()))
                    data-table=(text(&table.name)) data-status=(table.status.as_str()) {
                    h2 {
                        span.sr-marker { (table.status.marker()) }
                        " " code { (text(&table.name)) }
                        span.sr-badge.(format!("sr-{}", table.status.as_str())) {
                            (status_word(table.status))
                        }
                    }
                    @if let Some(old) = &table.renamed_from {
                        p.sr-note { "renamed from " code { (text(old)) } }
                    }
                    @if !table.hazards.is_empty() { (hazard_list(&table.hazards)) }
                    (column_table(&table.columns))
                    @if !table.indexes.is_empty() {
                        (item_table("Keys and indexes", &table.indexes))
                    }
                    @if !table.foreign_keys.is_empty() {
                        (item_table("Foreign keys", &table.foreign_keys))
                    }
                }
            }
            @if !report.enums.is_empty() {
                section.sr-section {
                    h2 { "Enum types" }
                    table.sr-grid {
                        thead { tr { th.sr-m {} th { "Name" } th { "Database" } th { "Wanted" } } }
                        tbody {
                            @for e in &report.enums {
                                tr.sr-row.(format!("sr-{}", e.status.as_str()))
                                    data-status=(e.status.as_str()) {
                                    td.sr-m { (e.status.marker()) }
                                    td { code { (text(&e.name)) } }
                                    td { @if let Some(v) = &e.database { (text(&v.join(", "))) } }
                                    td { @if let Some(v) = &e.entity { (text(&v.join(", "))) } }
                                }
                            }
                        }
                    }
                }
            }
            @if !unchanged.is_empty() {
                section.sr-section.sr-unchanged {
                    h2 { "Unchanged tables (" (unchanged.len()) ")" }
                    p {
                        @for (i, table) in unchanged.iter().enumerate() {
                            @if i > 0 { ", " }
                            code data-table=(text(&table.name)) data-status="same" { (text(&table.name)) }
                        }
                    }
                }
            }
            footer.sr-footer { "Generated by db-migrate diff --html" }
        }
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Added => "added",
        Status::Removed => "removed",
        Status::Changed => "changed",
        Status::Same => "unchanged",
    }
}

fn card(key: &str, status: Status, count: usize, label: &str) -> Markup {
    let tone = if count == 0 { "zero" } else { status.as_str() };
    html! {
        div.sr-card.(format!("sr-{tone}")) data-summary=(key) {
            span.sr-count { (count) }
            span.sr-label { (label) }
        }
    }
}

fn hazard_list(hazards: &[ReportHazard]) -> Markup {
    html! {
        ul.sr-hazards {
            @for h in hazards {
                li class=(format!("sr-sev-{}", h.severity.as_str())) {
                    span.sr-code { (text(&h.code)) }
                    span.sr-sev { (h.severity.as_str()) }
                    span { (text(&h.message)) }
                }
            }
        }
    }
}

fn column_table(columns: &[ColumnRow]) -> Markup {
    html! {
        table.sr-grid.sr-columns {
            colgroup {
                col.sr-col-m; col.sr-col-name;
                col.sr-col-type; col.sr-col-null; col.sr-col-default;
                col.sr-col-type; col.sr-col-null; col.sr-col-default;
            }
            thead {
                tr.sr-sides-head {
                    th.sr-m {} th {}
                    th.sr-db colspan="3" { "Database" }
                    th.sr-want colspan="3" { "Wanted" }
                }
                tr {
                    th.sr-m {} th { "Column" }
                    th.sr-db { "Type" } th { "Null" } th { "Default" }
                    th.sr-want { "Type" } th { "Null" } th { "Default" }
                }
            }
            tbody {
                @for row in columns {
                    tr.sr-row.(format!("sr-{}", row.status.as_str()))
                        data-column=(text(&row.name)) data-status=(row.status.as_str()) {
                        td.sr-m { (row.status.marker()) }
                        td.sr-name {
                            code { (text(&row.name)) }
                            @if let Some(old) = &row.renamed_from {
                                span.sr-extra { "renamed from " code { (text(old)) } }
                            }
                        }
                        (side_cells(row, row.database.as_ref(), "sr-db"))
                        (side_cells(row, row.entity.as_ref(), "sr-want"))
                    }
                }
            }
        }
    }
}

fn side_cells(row: &ColumnRow, side: Option<&ColumnSide>, first: &str) -> Markup {
    let mark = |field: Field| if row.differs(field) { "sr-diff" } else { "" };
    match side {
        None => html! {
            td class=(first) { span.sr-absent { "\u{2014}" } } td {} td {}
        },
        Some(side) => html! {
            td class=(format!("{first} {}", mark(Field::Type))) {
                code { (text(&side.ty)) }
                @for extra in &side.extra {
                    span.sr-extra.(mark(Field::Extra)) { (text(extra)) }
                }
            }
            td class=(mark(Field::Null)) { @if side.nullable { "NULL" } @else { "NOT NULL" } }
            td class=(mark(Field::Default)) {
                @if let Some(default) = &side.default { code { (text(default)) } }
            }
        },
    }
}

fn item_table(title: &str, rows: &[ItemRow]) -> Markup {
    html! {
        h3 { (title) }
        table.sr-grid.sr-items {
            colgroup { col.sr-col-m; col.sr-col-item; col.sr-col-def; col.sr-col-def; }
            thead { tr { th.sr-m {} th { "Name" } th.sr-db { "Database" } th.sr-want { "Wanted" } } }
            tbody {
                @for row in rows {
                    tr.sr-row.(format!("sr-{}", row.status.as_str()))
                        data-status=(row.status.as_str()) {
                        td.sr-m { (row.status.marker()) }
                        td.sr-name { code { (text(&row.name)) } }
                        td.sr-db {
                            @match &row.database {
                                Some(d) => code { (text(d)) },
                                None => span.sr-absent { "\u{2014}" },
                            }
                        }
                        td.sr-want {
                            @match &row.entity {
                                Some(e) => code { (text(e)) },
                                None => span.sr-absent { "\u{2014}" },
                            }
                        }
                    }
                }
            }
        }
    }
}
