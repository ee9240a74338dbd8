//! The `diff --html` report in a real browser (headless Chromium): the coloured
//! rows and the summary are what a reader sees, in light and dark mode. With
//! `UPDATE_SCREENSHOTS=1` the page is saved as `docs/images/diff-report.png` for
//! the documentation.

mod support;

use support::Sandbox;
use tests::browser::{Browser, colour_is};

const WIDTH: u32 = 1280;

/// A SQLite database at head, then drifted by hand: `users.bio` dropped, `tags`
/// rebuilt with a shorter `name`, an extra column and no unique index, and a table
/// the entities do not know.
fn drifted(sandbox: &Sandbox) {
    let run = sandbox.run(&["upgrade"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    sandbox.sql("ALTER TABLE users DROP COLUMN bio");
    sandbox.sql(
        "PRAGMA foreign_keys = OFF; DROP TABLE tags; \
         CREATE TABLE tags (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
         name varchar(30) NOT NULL, color char(7) NULL, legacy_slug text NULL)",
    );
    sandbox.sql(
        "CREATE TABLE audit_trail (id integer NOT NULL PRIMARY KEY, \
         actor varchar(40) NOT NULL, happened_at timestamp NOT NULL)",
    );
}

#[test]
fn the_report_shows_coloured_rows_and_counts_in_chromium() {
    let sandbox = Sandbox::new();
    drifted(&sandbox);
    let file = sandbox.path().join("diff-report.html");
    // A URL relative to the sandbox, as a project would configure it.
    let run = sandbox.run_raw(
        &[
            "-u",
            "sqlite://app.db",
            "diff",
            "--html",
            "diff-report.html",
        ],
        &[],
    );
    assert_eq!(run.code, Some(2), "{run:#?}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let Some(browser) = Browser::start(WIDTH, 900).await else {
            return;
        };
        let url = format!("file://{}", file.display());
        browser.goto(&url).await.expect("open the report");

        let title = browser
            .execute("return document.title;")
            .await
            .expect("title");
        assert!(
            title
                .as_str()
                .is_some_and(|t| t.starts_with("Schema diff: ")),
            "{title}"
        );
        // Summary counts as shown.
        for (key, count) in [
            ("tables-removed", "1"),
            ("tables-changed", "2"),
            ("tables-added", "0"),
            ("columns-added", "1"),
            ("columns-removed", "1"),
            ("columns-changed", "1"),
        ] {
            let shown = browser
                .text(&format!("[data-summary=\"{key}\"] .sr-count"))
                .await
                .expect("summary card");
            assert_eq!(shown, count, "summary {key}");
        }
        // Coloured rows: green added, red removed, amber changed, all visible.
        for (selector, channel) in [
            ("tr[data-column=\"bio\"][data-status=\"added\"] td", 'g'),
            (
                "tr[data-column=\"legacy_slug\"][data-status=\"removed\"] td",
                'r',
            ),
            ("tr[data-column=\"name\"][data-status=\"changed\"] td", 'y'),
            ("section[data-table=\"audit_trail\"] tbody tr td", 'r'),
        ] {
            let cell = browser.find(selector).await.expect("row");
            assert!(
                cell.is_displayed().await.expect("displayed"),
                "{selector} is hidden"
            );
            let colour = browser
                .css(selector, "background-color")
                .await
                .expect("colour");
            assert!(colour_is(&colour, channel), "{selector}: {colour}");
        }
        // The changed cell (the type) stands out from the rest of its row.
        let row = "section[data-table=\"tags\"] tr[data-column=\"name\"]";
        let plain = browser
            .css(&format!("{row} td.sr-m"), "background-color")
            .await
            .expect("colour");
        let marked = browser
            .css(&format!("{row} td.sr-want.sr-diff"), "background-color")
            .await
            .expect("colour");
        assert_ne!(plain, marked, "the differing cell is highlighted");
        // Unchanged tables are listed, not drawn as cards.
        let unchanged = browser
            .find_all("section[data-status=\"same\"]")
            .await
            .expect("lookup");
        assert!(unchanged.is_empty());
        assert!(
            browser
                .text(".sr-unchanged")
                .await
                .expect("unchanged list")
                .contains("documents")
        );

        let png = browser
            .screenshot_page(WIDTH, 2400)
            .await
            .expect("screenshot");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        assert!(
            png.len() > 20_000,
            "a page, not a blank: {} bytes",
            png.len()
        );
        if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
            let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../docs/images/diff-report.png");
            std::fs::write(&target, &png).expect("write the screenshot");
            eprintln!("wrote {}", target.display());
        }

        // Dark mode: the page follows prefers-color-scheme, rows keep their colours.
        browser
            .emulate_colour_scheme(true)
            .await
            .expect("dark mode");
        let page = browser
            .css(".schema-report", "background-color")
            .await
            .expect("colour");
        assert!(colour_is(&page, 'd'), "dark page background: {page}");
        for (selector, channel) in [
            ("tr[data-column=\"bio\"] td", 'g'),
            ("tr[data-column=\"legacy_slug\"] td", 'r'),
            ("tr[data-column=\"name\"][data-status=\"changed\"] td", 'y'),
        ] {
            let colour = browser
                .css(selector, "background-color")
                .await
                .expect("colour");
            assert!(colour_is(&colour, channel), "dark {selector}: {colour}");
        }
        browser.close().await.expect("close");
    });
}
