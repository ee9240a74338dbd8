//! Security: names an attacker chose in the database never run as SQL, never reach
//! a generated module, and reach the terminal only escaped — on every backend.

#[path = "support/backends.rs"]
mod backends;
mod support;

use backends::{Backend, exec, on_every_backend, quoted, strings, tables};
use support::{Sandbox, files};

/// `name` quoted for `backend`, embedded quote characters doubled (as an attacker
/// with DDL rights would write it).
fn escaped(backend: Backend, name: &str) -> String {
    let q = backends::quote(backend);
    quoted(backend, &name.replace(q, &format!("{q}{q}")))
}

fn count(rt: &tokio::runtime::Runtime, scratch: &backends::Scratch, table: &str) -> String {
    let sql = format!(
        "SELECT CAST(COUNT(*) AS CHAR(20)) FROM {}",
        quoted(scratch.backend, table)
    );
    let sql = if scratch.backend == Backend::Sqlite {
        sql.replace("CHAR(20)", "TEXT")
    } else if scratch.backend == Backend::Postgres {
        sql.replace("CHAR(20)", "text")
    } else {
        sql
    };
    strings(rt, scratch, &sql).remove(0)
}

#[test]
fn a_quote_in_an_index_name_is_refused_before_any_sql_or_file() {
    on_every_backend("security_index_quote", |rt, scratch| {
        let sandbox = Sandbox::new();
        let url = scratch.url.as_str();
        sandbox.run_raw(&["-u", url, "upgrade"], &[]).ok();
        exec(rt, scratch, "INSERT INTO tags (name) VALUES ('kept')");
        let hostile = [
            "idx-x\"; DROP TABLE \"tags\"; --",
            "idx-y`; DROP TABLE `tags`; --",
        ];
        for name in hostile {
            let sql = format!(
                "CREATE INDEX {} ON {} ({})",
                escaped(scratch.backend, name),
                quoted(scratch.backend, "tags"),
                quoted(scratch.backend, "name")
            );
            exec(rt, scratch, &sql);
        }
        let before = tables(rt, scratch);
        let dir = sandbox.migration_dir();
        let modules = files(&dir);
        let d = dir.display().to_string();

        let run = sandbox.run_raw(&["-u", url, "auto", "drop it", "--migration-dir", &d], &[]);
        let line = run.error(&["cannot be used in a migration", "index on table `tags`"]);
        assert!(line.contains("idx-"), "{line}");
        assert_eq!(files(&dir), modules, "no module written");

        // Every other path that would turn the change list into SQL refuses too.
        let dry = sandbox.run_raw(&["-u", url, "diff", "--json"], &[]);
        assert_eq!(dry.code, Some(2), "{dry:#?}");
        assert!(!dry.stdout.contains("panicked"), "{dry:#?}");

        assert_eq!(tables(rt, scratch), before, "no table dropped");
        assert_eq!(count(rt, scratch, "tags"), "1", "rows kept");
    });
}

#[test]
fn control_characters_in_names_are_shown_escaped() {
    on_every_backend("security_terminal", |rt, scratch| {
        let sandbox = Sandbox::new();
        let url = scratch.url.as_str();
        sandbox.run_raw(&["-u", url, "upgrade"], &[]).ok();
        let name = "evil\u{1b}[2J\u{1b}]0;pwned\u{7}\nnext \u{202e}line";
        let sql = format!(
            "CREATE TABLE {} ({} INTEGER)",
            escaped(scratch.backend, name),
            quoted(scratch.backend, "id")
        );
        exec(rt, scratch, &sql);

        let diff = sandbox.run_raw(&["-u", url, "diff"], &[]);
        assert_eq!(diff.code, Some(2), "{diff:#?}");
        let shown = "evil\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\nnext \\u{202e}line";
        assert!(diff.stdout.contains(shown), "{}", diff.stdout);

        let dir = sandbox.migration_dir();
        let d = dir.display().to_string();
        let auto = sandbox.run_raw(
            &["-u", url, "auto", "drop evil", "--migration-dir", &d],
            &[],
        );
        assert_eq!(auto.code, Some(0), "{auto:#?}");
        assert!(auto.stdout.contains(shown), "{}", auto.stdout);

        for run in [&diff, &auto] {
            let all = format!("{}{}", run.stdout, run.stderr);
            for c in ['\u{1b}', '\u{7}', '\u{202e}'] {
                assert!(!all.contains(c), "raw {c:?} printed: {all:?}");
            }
            assert!(
                !all.lines().any(|l| l.starts_with("next")),
                "a name broke a line: {all}"
            );
        }
    });
}
