//! The examples `--help` (and `db-migrate man`) show for the main commands, as
//! clap `after_help` texts.

/// `db-migrate upgrade --help`.
pub const UPGRADE: &str = "\
Examples:
  db-migrate upgrade                      apply every pending migration
  db-migrate upgrade +1                   apply only the next one
  db-migrate upgrade m20261121_1015       up to this version (a unique prefix)
  db-migrate upgrade --dry-run            print the SQL, change nothing
  db-migrate upgrade --backup             back up first, then upgrade
  db-migrate -u postgres://app@db:5432/app upgrade --lock-timeout 300";

/// `db-migrate downgrade --help`.
pub const DOWNGRADE: &str = "\
Examples:
  db-migrate downgrade                    roll back the last migration
  db-migrate downgrade -2                 roll back the last two
  db-migrate downgrade m20261121_1015     roll back to this version (it stays applied)
  db-migrate downgrade base --dry-run     print the SQL of rolling back everything
  db-migrate downgrade --allow-data-loss  in a script, when a step drops rows";

/// `db-migrate auto --help`.
pub const AUTO: &str = "\
Examples:
  db-migrate auto \"add user website\"          write and register the migration
  db-migrate auto \"rename\" --rename users.name=full_name
  db-migrate auto \"x\" --no-compare-server-default
  db-migrate auto \"x\" --migration-dir path/to/migration/src
  db-migrate upgrade                          then apply it";

/// `db-migrate check --help`.
pub const CHECK: &str = "\
Examples:
  db-migrate check                        in CI: exit 2 when entities and migrations differ
  db-migrate check --fail-on-pending      also when the database has pending migrations
  db-migrate check --deny warning         also on lint hazards of warning or danger
  db-migrate check --json                 the report as one JSON document";

/// `db-migrate diff --help`.
pub const DIFF: &str = "\
Examples:
  db-migrate diff                         the database against the entities
  db-migrate diff --from postgres://app@staging/app --to postgres://app@prod/app
  db-migrate diff --json                  changes and hazards as JSON
  db-migrate diff --html report.html      also the visual report, as one HTML file";

/// `db-migrate backup --help`.
pub const BACKUP: &str = "\
Examples:
  db-migrate backup                       backups/<db>-<UTC time>.sql (or .sqlite)
  db-migrate backup -o before.sql --verify
  db-migrate backup --schema-only -o schema.sql
  db-migrate backup -o backups/ --keep 7  keep the newest 7 in the folder
  db-migrate backup --verify backups/app-20261121T223527.123Z.sql";

/// `db-migrate restore --help`.
pub const RESTORE: &str = "\
Examples:
  db-migrate restore backups/app-20261121T223527.123Z.sql
  db-migrate -u sqlite://copy.db restore app.sqlite
  db-migrate restore before.sql --force   replace a database that is not empty";

/// `db-migrate start --help`.
pub const START: &str = "\
Examples:
  db-migrate start -- my-app --port 8080
  db-migrate start --on-pending fail -- my-app     refuse to start with pending migrations
  db-migrate start --backup --timeout 120 -- my-app
  db-migrate start --export-database-url -- my-app";

/// `db-migrate init --help`.
pub const INIT: &str = "\
Examples:
  db-migrate init                         set up the workspace in the current folder
  db-migrate init --dir ../my-app         another workspace
  db-migrate init --name migrate          the binary crate's folder and name
  db-migrate init --force                 rewrite the files an earlier init wrote
  cargo run -p db-migrate -- status       then use the workspace's own binary";

/// `db-migrate serve --help`.
pub const SERVE: &str = "\
Examples:
  DB_MIGRATE_OPERATOR_TOKEN=$(openssl rand -hex 32) db-migrate serve
  DB_MIGRATE_VIEWER_TOKEN=t1,t2 db-migrate serve --bind 127.0.0.1:9000
  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8790/api/status";
