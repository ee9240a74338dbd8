//! `db-migrate diff --html FILE` on every backend: the visual report of a database
//! drifted by hand, of two databases, and the refusals.

#[path = "support/backends.rs"]
mod backends;
mod support;

use backends::{Backend, Scratch, exec, on_every_backend};
use support::{Run, Sandbox};

fn diff(sandbox: &Sandbox, url: &str, args: &[&str]) -> Run {
    let mut all = vec!["-u", url, "diff"];
    all.extend_from_slice(args);
    sandbox.run_raw(&all, &[])
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The element of the report for `what` (a `data-table` or `data-column` value) has
/// `status`.
#[track_caller]
fn marked(html: &str, attribute: &str, name: &str, status: &str) {
    let needle = format!("{attribute}=\"{name}\" data-status=\"{status}\"");
    assert!(html.contains(&needle), "no {needle} in the report:\n{html}");
}

#[test]
fn a_database_drifted_by_hand_shows_what_the_entities_add_and_remove() {
    on_every_backend("diff_html", |rt, scratch| {
        let sandbox = Sandbox::new();
        let url = scratch.url.as_str();
        sandbox.run_raw(&["-u", url, "upgrade"], &[]).ok();
        exec(rt, scratch, "ALTER TABLE users DROP COLUMN bio");
        exec(
            rt,
            scratch,
            "CREATE TABLE audit_trail (id integer NOT NULL PRIMARY KEY, note varchar(40))",
        );
        // A narrower column where the backend alters types in place (SQLite would
        // need a table rebuild by hand).
        let narrowed = match scratch.backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some("ALTER TABLE tags ALTER COLUMN name TYPE varchar(30)"),
            Backend::MySql => Some("ALTER TABLE tags MODIFY name varchar(30) NOT NULL"),
        };
        if let Some(sql) = narrowed {
            exec(rt, scratch, sql);
        }
        let file = sandbox.path().join("report.html");
        let file_arg = file.to_str().expect("utf-8 path");

        let run = diff(&sandbox, url, &["--html", file_arg]);
        assert_eq!(run.code, Some(2), "the schemas differ: {run:#?}");
        assert_eq!(run.stderr, "", "{run:#?}");
        assert!(
            run.stdout.contains(&format!("HTML report: {file_arg}\n")),
            "{run:#?}"
        );
        // The text output is the same as without --html.
        assert!(run.stdout.contains("  + column users.bio"), "{run:#?}");

        let html = read(&file);
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("data-verdict=\"differs\""), "{html}");
        marked(&html, "data-table", "users", "changed");
        marked(&html, "data-column", "bio", "added");
        marked(&html, "data-column", "email", "same");
        marked(&html, "data-table", "audit_trail", "removed");
        marked(&html, "data-column", "note", "removed");
        marked(&html, "data-table", "documents", "same");
        if narrowed.is_some() {
            marked(&html, "data-table", "tags", "changed");
            marked(&html, "data-column", "name", "changed");
            assert!(html.contains("<code>varchar(30)</code>"), "{html}");
            assert!(html.contains("<code>varchar(50)</code>"), "{html}");
        } else {
            marked(&html, "data-table", "tags", "same");
        }
        // The summary counts.
        let changed = if narrowed.is_some() { 2 } else { 1 };
        for (key, count) in [
            ("tables-removed", 1),
            ("tables-changed", changed),
            ("tables-added", 0),
            ("columns-added", 1),
            ("columns-changed", changed - 1),
        ] {
            let card = format!("data-summary=\"{key}\"><span class=\"sr-count\">{count}</span>");
            assert!(html.contains(&card), "no {card} in:\n{html}");
        }
        // The lint's hazard for the dropped table.
        assert!(html.contains("DL001"), "{html}");
        // No password or secret can appear: the label is the redacted URL.
        assert!(!html.contains("<script"), "{html}");

        // JSON output stays one document, and the report is written too.
        std::fs::remove_file(&file).expect("remove");
        let run = diff(&sandbox, url, &["--json", "--html", file_arg]);
        assert_eq!(run.code, Some(2), "{run:#?}");
        let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
        assert_eq!(json["equal"], false);
        assert!(read(&file).contains("data-column=\"bio\" data-status=\"added\""));

        // Back at the entities' shape: exit 0 and an "equal" report over the old one.
        exec(rt, scratch, "DROP TABLE audit_trail");
        exec(rt, scratch, "ALTER TABLE users ADD COLUMN bio text NULL");
        match scratch.backend {
            Backend::Sqlite => {}
            Backend::Postgres => exec(
                rt,
                scratch,
                "ALTER TABLE tags ALTER COLUMN name TYPE varchar(50)",
            ),
            Backend::MySql => exec(
                rt,
                scratch,
                "ALTER TABLE tags MODIFY name varchar(50) NOT NULL",
            ),
        }
        let run = diff(&sandbox, url, &["--html", file_arg]);
        assert_eq!(run.code, Some(0), "{run:#?}");
        let html = read(&file);
        assert!(html.contains("data-verdict=\"equal\""), "{html}");
        assert!(!html.contains("data-status=\"removed\""), "{html}");
    });
}

#[test]
fn two_databases_compare_into_a_report() {
    on_every_backend("diff_html_pair", |rt, scratch| {
        let sandbox = Sandbox::new();
        let at_head = scratch.url.as_str();
        sandbox.run_raw(&["-u", at_head, "upgrade"], &[]).ok();
        let Some(other) = rt.block_on(Scratch::new(scratch.backend, "diff_html_pair_b")) else {
            return;
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let file = sandbox.path().join("pair.html");
            let file_arg = file.to_str().expect("utf-8 path");
            let run = diff(
                &sandbox,
                "sqlite::memory:",
                &[
                    "--from",
                    other.url.as_str(),
                    "--to",
                    at_head,
                    "--html",
                    file_arg,
                ],
            );
            assert_eq!(run.code, Some(2), "{run:#?}");
            let html = read(&file);
            for table in ["users", "documents", "tags"] {
                marked(&html, "data-table", table, "added");
            }
            assert!(
                html.contains("data-summary=\"tables-added\"><span class=\"sr-count\">6</span>"),
                "{html}"
            );
        }));
        rt.block_on(other.cleanup());
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    });
}

#[test]
fn a_path_that_is_not_a_regular_file_is_refused() {
    let sandbox = Sandbox::new();
    sandbox.run(&["upgrade"]).ok();
    let folder = sandbox.path().join("reports");
    std::fs::create_dir(&folder).expect("folder");
    let run = sandbox.run(&["diff", "--html", folder.to_str().expect("utf-8")]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr
            .contains("error: refusing to write the HTML report to"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("is not a regular file"), "{run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    assert!(folder.is_dir());

    let missing = sandbox.path().join("no/such/dir/report.html");
    let run = sandbox.run(&["diff", "--html", missing.to_str().expect("utf-8")]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr
            .contains("error: cannot write the HTML report to"),
        "{run:#?}"
    );
}
