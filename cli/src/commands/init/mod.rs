//! `db-migrate init`: sets a SeaORM workspace up for db-migrate. It finds the
//! entity crate and the migration crate (creating a migration crate when there is
//! none), writes a binary crate embedding the CLI, adds it to the workspace's
//! members, writes `db-migrate.toml`, and prints the next steps. It never replaces
//! a file it did not write itself (`--force` replaces its own files only).

mod detect;
mod templates;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use detect::Member;
use templates::{BinaryCrate, MARKER};

/// The options of `db-migrate init`.
pub struct InitOptions<'a> {
    /// The workspace root.
    pub dir: &'a Path,
    /// Name of the binary crate (its folder, package and binary).
    pub name: &'a str,
    /// db-migrate's source checkout (holding `cli/` and `schema-diff/`).
    pub source: Option<&'a Path>,
    /// Replace files that `init` wrote before.
    pub force: bool,
}

/// One file to write.
struct Planned {
    path: PathBuf,
    text: String,
}

/// Runs `db-migrate init`.
pub fn run(options: &InitOptions<'_>) -> anyhow::Result<ExitCode> {
    let root = options
        .dir
        .canonicalize()
        .with_context(|| format!("cannot open the folder {}", options.dir.display()))?;
    validate_name(options.name)?;
    let source = source_checkout(options.source)?;
    let mut workspace = detect::read_workspace(&root)?;
    let members = detect::member_dirs(&root, &workspace)?
        .iter()
        .map(|dir| detect::member(dir))
        .collect::<anyhow::Result<Vec<Member>>>()?;

    let entity = detect::single(&members, "entity crate", "its own workspace", |m| {
        detect::src_mentions(&m.dir, "DeriveEntityModel")
    })?
    .cloned()
    .with_context(|| {
        format!(
            "no member of {} has entities (a `src/` module deriving DeriveEntityModel); write \
             them first, or generate them from the database with `db-migrate pull --out \
             entity/src/entities` and add the crate to the workspace",
            root.join("Cargo.toml").display()
        )
    })?;
    let mut migrators = Vec::new();
    for m in &members {
        if let Some(ty) = detect::migrator_type(&m.dir)? {
            migrators.push((m.clone(), ty));
        }
    }
    if migrators.len() > 1 {
        bail!(
            "several crates implement MigratorTrait: {}; db-migrate manages one migration crate",
            migrators
                .iter()
                .map(|(m, _)| m.package.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let mut plan = Vec::new();
    let mut notes = Vec::new();
    let schema_diff_path = source.join("schema-diff");
    let (migration, migrator, migration_created) = match migrators.pop() {
        Some((m, ty)) => (m, ty, false),
        None => {
            let dir = root.join("migration");
            plan.push(Planned {
                path: dir.join("Cargo.toml"),
                text: templates::migration_cargo_toml(&toml_path(&schema_diff_path)),
            });
            plan.push(Planned {
                path: dir.join("src").join("lib.rs"),
                text: templates::migration_lib_rs(),
            });
            let m = Member {
                dir,
                lib_name: "migration".into(),
                package: "migration".into(),
            };
            (m, "Migrator".to_string(), true)
        }
    };

    let crate_dir = root.join(options.name);
    let entity_path = relative_to(&entity.dir, &root, "..");
    let migration_path = relative_to(&migration.dir, &root, "..");
    let cli_path = toml_path(&source.join("cli"));
    let binary = BinaryCrate {
        name: options.name,
        cli_path: &cli_path,
        entity_package: &entity.package,
        entity_lib: &entity.lib_name,
        entity_path: &entity_path,
        migration_package: &migration.package,
        migration_lib: &migration.lib_name,
        migration_path: &migration_path,
        migrator: &migrator,
    };
    plan.push(Planned {
        path: crate_dir.join("Cargo.toml"),
        text: templates::binary_cargo_toml(&binary),
    });
    plan.push(Planned {
        path: crate_dir.join("build.rs"),
        text: templates::binary_build_rs(&binary),
    });
    plan.push(Planned {
        path: crate_dir.join("discover.rs"),
        text: templates::binary_discover_rs(),
    });
    plan.push(Planned {
        path: crate_dir.join("src").join("main.rs"),
        text: templates::binary_main_rs(&binary),
    });
    let migration_dir = format!("{}/src", relative_to(&migration.dir, &root, "."));
    plan.push(Planned {
        path: root.join("db-migrate.toml"),
        text: templates::config_toml(&migration_dir),
    });

    // Refuse before writing anything.
    check_conflicts(&plan, options.force)?;

    // Cargo.toml edits: the workspace's members, the migration crate's schema-diff.
    let mut new_members = vec![options.name.to_string()];
    if migration_created {
        new_members.push(relative_to(&migration.dir, &root, "."));
    }
    let workspace_changed = add_members(&mut workspace, &new_members, &root)?;
    let migration_toml = if migration_created {
        None
    } else {
        add_schema_diff(&migration.dir, &schema_diff_path)?
    };

    for file in &plan {
        write_file(&file.path, &file.text)?;
        outln!("wrote {}", display(&file.path, &root));
    }
    if workspace_changed {
        write_file(&root.join("Cargo.toml"), &workspace.to_string())?;
        outln!(
            "added {} to [workspace] members in Cargo.toml",
            new_members.join(", ")
        );
    }
    if let Some((path, text)) = migration_toml {
        write_file(&path, &text)?;
        outln!(
            "added schema-diff to {} (generated SQLite table rebuilds call it)",
            display(&path, &root)
        );
    }
    notes.push(format!(
        "entity crate: {} ({}), migration crate: {} ({}{})",
        entity.package,
        display(&entity.dir, &root),
        migration.package,
        display(&migration.dir, &root),
        if migration_created { ", new" } else { "" }
    ));
    print_next_steps(options.name, &notes);
    Ok(ExitCode::SUCCESS)
}

fn validate_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !ok {
        bail!(
            "`{}` is not a usable crate name: use letters, digits, `-` and `_`, starting with a letter",
            schema_diff::display::visible(name)
        );
    }
    Ok(())
}

/// db-migrate's source checkout: `--source`, else the one this binary was built
/// from when it is still there.
fn source_checkout(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = given.unwrap_or(&built_from);
    let looks_right = dir.join("cli").join("Cargo.toml").is_file()
        && dir.join("schema-diff").join("Cargo.toml").is_file();
    if !looks_right {
        bail!(
            "{} is not a db-migrate source checkout (with cli/ and schema-diff/): pass \
             --source DIR, the folder of a db-migrate checkout the new crate depends on",
            dir.display()
        );
    }
    dir.canonicalize()
        .with_context(|| format!("cannot open {}", dir.display()))
}

/// Every planned file either does not exist, or (with `force`) was written by `init`.
fn check_conflicts(plan: &[Planned], force: bool) -> anyhow::Result<()> {
    for file in plan {
        let Ok(existing) = std::fs::read_to_string(&file.path) else {
            if file.path.exists() {
                bail!(
                    "{} exists and cannot be read; nothing was written",
                    file.path.display()
                );
            }
            continue;
        };
        let ours = existing.lines().next().is_some_and(|l| l.contains(MARKER));
        if !force || !ours {
            let why = if ours {
                "pass --force to replace the files `init` wrote"
            } else {
                "it was not written by `db-migrate init`, so it is never replaced; move it \
                 away, or choose another crate name with --name"
            };
            bail!(
                "{} already exists: {why}; nothing was written",
                file.path.display()
            );
        }
    }
    Ok(())
}

/// Adds `names` to `[workspace] members` unless a member pattern already covers
/// them; whether the document changed.
fn add_members(
    workspace: &mut toml_edit::DocumentMut,
    names: &[String],
    root: &Path,
) -> anyhow::Result<bool> {
    let existing = detect::member_dirs(root, workspace)?;
    let table = workspace
        .get_mut("workspace")
        .and_then(|w| w.as_table_like_mut())
        .context("[workspace] is not a table")?;
    if table.get("members").is_none() {
        table.insert("members", toml_edit::value(toml_edit::Array::new()));
    }
    let members = table
        .get_mut("members")
        .and_then(|m| m.as_array_mut())
        .context("[workspace] members is not an array")?;
    let mut changed = false;
    for name in names {
        let covered = existing.iter().any(|d| d == &root.join(name))
            || members.iter().any(|m| m.as_str() == Some(name.as_str()));
        if !covered {
            members.push(name.as_str());
            changed = true;
        }
    }
    Ok(changed)
}

/// The migration crate's `Cargo.toml` with a `schema-diff` dependency added, or
/// `None` when it has one already.
fn add_schema_diff(dir: &Path, schema_diff: &Path) -> anyhow::Result<Option<(PathBuf, String)>> {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .with_context(|| format!("cannot parse {}", path.display()))?;
    if doc.get("dependencies").is_none() {
        doc.insert("dependencies", toml_edit::table());
    }
    let deps = doc
        .get_mut("dependencies")
        .and_then(|d| d.as_table_like_mut())
        .with_context(|| format!("{}: [dependencies] is not a table", path.display()))?;
    if deps.contains_key("schema-diff") {
        return Ok(None);
    }
    let mut dep = toml_edit::InlineTable::new();
    dep.insert("path", toml_path(schema_diff).into());
    deps.insert("schema-diff", toml_edit::value(dep));
    Ok(Some((path, doc.to_string())))
}

/// `path` relative to `root` with `prefix` (`..` from a member, `.` from the root),
/// in `/` form; the absolute path when it is not under `root`.
fn relative_to(path: &Path, root: &Path, prefix: &str) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => {
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if prefix == "." {
                rel
            } else {
                format!("{prefix}/{rel}")
            }
        }
        Err(_) => toml_path(path),
    }
}

/// A path as written in a TOML string (`/` separators, `"` and `\` escaped).
fn toml_path(path: &Path) -> String {
    path.to_string_lossy()
        .replace('\\', "/")
        .replace('"', "\\\"")
}

fn display(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Writes `text` to `path` through a temporary file renamed into place.
fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent folder", path.display()))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn print_next_steps(name: &str, notes: &[String]) {
    for note in notes {
        outln!("{note}");
    }
    outln!();
    outln!("next steps:");
    outln!("  1. cargo build -p {name}   (db-migrate for this workspace: target/debug/{name})");
    outln!("  2. cargo run -p {name} -- entities   (the entities it compares with)");
    outln!("  3. with the database URL in DATABASE_URL (or -u URL, or db-migrate.toml):");
    outln!(
        "     - a database whose sea-orm-migration history exists: `cargo run -p {name} -- status`,"
    );
    outln!(
        "       `upgrade` to head, then `auto \"first change\"` reports `No changes` when in sync;"
    );
    outln!(
        "     - a new database: `cargo run -p {name} -- upgrade`, then `auto \"initial schema\"`;"
    );
    outln!(
        "     - a database with tables but no history: see the baseline steps in docs/adoption.md."
    );
}
