//! `db-migrate config`: the effective configuration and where each value comes from.

use std::process::ExitCode;

use serde_json::json;

use super::Context;
use crate::redact::redact_url;

/// Prints every setting with its source; the URL with its password redacted.
pub fn run(ctx: &Context<'_>) -> anyhow::Result<ExitCode> {
    let s = &ctx.settings;
    let url = (!ctx.url.is_empty()).then(|| redact_url(&ctx.url));
    let url_source = ctx.url_source.as_ref().map(ToString::to_string);
    let file = s.file.as_ref().map(|f| f.path.display().to_string());
    if ctx.global.json {
        crate::output::json(&json!({
            "config_file": file,
            "database_url": {"value": url, "source": url_source},
            "schema": s.schema,
            "exclude_tables": s.exclude_tables,
            "backends": {
                "value": s.backends.value.dialects().into_iter()
                    .map(schema_diff::Backends::config_name).collect::<Vec<_>>(),
                "source": s.backends.source,
            },
            "compare_type": s.compare_type,
            "compare_server_default": s.compare_server_default,
            "migration_dir": s.migration_dir,
            "lock_timeout": s.lock_timeout,
            "backup_dir": s.backup_dir,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let show = |v: &str| schema_diff::display::visible(v).into_owned();
    outln!(
        "config file:            {}",
        file.as_deref().map_or("none".into(), show)
    );
    match (&url, &url_source) {
        (Some(url), Some(source)) => outln!("database_url:           {}  ({source})", show(url)),
        _ => outln!("database_url:           none (no database configured)"),
    }
    match &s.schema {
        Some(schema) => outln!(
            "schema:                 {}  ({})",
            show(&schema.value),
            schema.source
        ),
        None => outln!(
            "schema:                 none: the server's search_path, normally public  (default)"
        ),
    }
    if s.exclude_tables.is_empty() {
        outln!("exclude_tables:         none  (default)");
    }
    for pattern in &s.exclude_tables {
        outln!(
            "exclude_tables:         {}  ({})",
            show(&pattern.value),
            pattern.source
        );
    }
    outln!(
        "backends:               {}  ({})",
        s.backends.value.config_list(),
        s.backends.source
    );
    outln!(
        "compare_type:           {}  ({})",
        s.compare_type.value,
        s.compare_type.source
    );
    outln!(
        "compare_server_default: {}  ({})",
        s.compare_server_default.value,
        s.compare_server_default.source
    );
    outln!(
        "migration_dir:          {}  ({})",
        show(&s.migration_dir.value.display().to_string()),
        s.migration_dir.source
    );
    outln!(
        "lock_timeout:           {} s  ({})",
        s.lock_timeout.value,
        s.lock_timeout.source
    );
    outln!(
        "backup_dir:             {}  ({})",
        show(&s.backup_dir.value.display().to_string()),
        s.backup_dir.source
    );
    Ok(ExitCode::SUCCESS)
}
