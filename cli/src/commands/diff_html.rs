//! `db-migrate diff --html FILE`: writing the visual report.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use schema_diff::report::SchemaReport;

/// Writes `report` as a self-contained HTML page to `path`, with every credential
/// the CLI knows of (and every URL password) hidden, as in all its output.
pub fn write_report(path: &Path, report: &SchemaReport) -> anyhow::Result<()> {
    write_atomically(path, &schema_diff::report::render_html(&redacted(report)?))
}

/// `report` with every credential hidden (labels, names, values).
pub fn redacted(report: &SchemaReport) -> anyhow::Result<SchemaReport> {
    let value = serde_json::to_value(report).context("cannot prepare the HTML report")?;
    serde_json::from_value(crate::redact::redact_json(&value))
        .context("cannot prepare the HTML report")
}

/// Writes `html` to `path` atomically: a fresh temp file in the same folder, flushed
/// to disk, then renamed over `path`, so that a reader (a CI artifact upload, a
/// browser) sees the old report or the new one, never a part. Refuses a `path` that
/// exists and is not a regular file (a folder, a symlink, a device or a pipe).
fn write_atomically(path: &Path, html: &str) -> anyhow::Result<()> {
    let shown = schema_diff::display::visible(&path.display().to_string()).into_owned();
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => {
            bail!(
                "refusing to write the HTML report to {shown}: it exists and is not a regular file"
            )
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {shown}")),
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if path.file_name().is_none() {
        bail!("cannot write the HTML report to {shown}: it names no file");
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".db-migrate-report-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write the HTML report to {shown}"))?;
    temp.write_all(html.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write the HTML report to {shown}"))?;
    set_readable(temp.path());
    temp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write the HTML report to {shown}"))?;
    Ok(())
}

/// A report is meant to be read by others (CI artifact stores, web servers): the
/// temp file's private `0600` becomes the usual `0644` of a written file.
#[cfg(unix)]
fn set_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644));
}

#[cfg(not(unix))]
fn set_readable(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("report.html");
        write_atomically(&file, "<p>one</p>").expect("first write");
        write_atomically(&file, "<p>two</p>").expect("replace");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "<p>two</p>");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["report.html"]);
    }

    #[test]
    fn credentials_in_the_report_are_hidden() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("report.html");
        let empty = schema_diff::Schema::default();
        let report = SchemaReport::build(&schema_diff::report::ReportInput {
            from_label: "postgres://app:hunter2@db/app",
            to_label: "entities",
            dialect: schema_diff::Dialect::Postgres,
            actual: &empty,
            desired: &empty,
            changes: &[],
            hazards: &[],
        });
        write_report(&file, &report).expect("write");
        let html = std::fs::read_to_string(&file).expect("read");
        assert!(!html.contains("hunter2"), "{html}");
        assert!(html.contains("postgres://app:***@db/app"), "{html}");
    }

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = write_atomically(dir.path(), "x").expect_err("a folder");
        assert!(err.to_string().contains("is not a regular file"), "{err:#}");
        #[cfg(unix)]
        {
            let target = dir.path().join("target.txt");
            std::fs::write(&target, "keep").expect("target");
            let link = dir.path().join("link.html");
            std::os::unix::fs::symlink(&target, &link).expect("symlink");
            let err = write_atomically(&link, "x").expect_err("a symlink");
            assert!(err.to_string().contains("is not a regular file"), "{err:#}");
            assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");
        }
        let missing = dir.path().join("no/such/folder/report.html");
        let err = write_atomically(&missing, "x").expect_err("no folder");
        assert!(
            err.to_string().contains("cannot write the HTML report"),
            "{err:#}"
        );
    }
}
