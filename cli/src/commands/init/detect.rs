//! Finding the entity and migration crates among a workspace's members.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// A member crate of the workspace.
#[derive(Debug, Clone)]
pub struct Member {
    /// The crate's folder.
    pub dir: PathBuf,
    /// Its library's crate name (`[lib] name`, else the package name with `-` → `_`).
    pub lib_name: String,
    /// Its package name.
    pub package: String,
}

/// The workspace root's `Cargo.toml`, parsed; an error unless it has `[workspace]`.
pub fn read_workspace(root: &Path) -> anyhow::Result<toml_edit::DocumentMut> {
    let path = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}: is this a Cargo workspace?", path.display()))?;
    let doc: toml_edit::DocumentMut = text
        .parse()
        .with_context(|| format!("cannot parse {}", path.display()))?;
    if !doc.contains_key("workspace") {
        bail!(
            "{} has no [workspace] table: `db-migrate init` sets up a workspace (the layout \
             sea-orm-cli writes: the application, `entity` and `migration` as members); add \
             `[workspace]` with `members = [...]` first",
            path.display()
        );
    }
    Ok(doc)
}

/// The member folders named by `[workspace] members` (globs expanded), in order.
pub fn member_dirs(
    root: &Path,
    workspace: &toml_edit::DocumentMut,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    let members = workspace
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array());
    for entry in members.into_iter().flatten() {
        let Some(pattern) = entry.as_str() else {
            continue;
        };
        let full = root.join(pattern);
        let full = full.to_string_lossy();
        let paths = glob::glob(&full).with_context(|| format!("bad member pattern `{pattern}`"))?;
        for path in paths.flatten() {
            if path.join("Cargo.toml").is_file() && !dirs.contains(&path) {
                dirs.push(path);
            }
        }
    }
    Ok(dirs)
}

/// Reads a member's package and library names.
pub fn member(dir: &Path) -> anyhow::Result<Member> {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    let package = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .with_context(|| format!("{} has no [package] name", path.display()))?
        .to_string();
    let lib_name = doc
        .get("lib")
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .map_or_else(|| package.replace('-', "_"), str::to_string);
    Ok(Member {
        dir: dir.to_path_buf(),
        lib_name,
        package,
    })
}

/// Whether any `.rs` file under `dir/src` contains `needle` (a quick text scan).
pub fn src_mentions(dir: &Path, needle: &str) -> bool {
    fn walk(dir: &Path, needle: &str, depth: usize) -> bool {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        entries.flatten().any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                depth < 8 && walk(&path, needle, depth + 1)
            } else {
                path.extension().is_some_and(|e| e == "rs")
                    && std::fs::read_to_string(&path).is_ok_and(|t| t.contains(needle))
            }
        })
    }
    walk(&dir.join("src"), needle, 0)
}

/// The type that implements `MigratorTrait` in `dir/src/lib.rs`, if any.
pub fn migrator_type(dir: &Path) -> anyhow::Result<Option<String>> {
    let path = dir.join("src").join("lib.rs");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    if !text.contains("MigratorTrait") {
        return Ok(None);
    }
    let file =
        syn::parse_file(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    Ok(file.items.iter().find_map(|item| {
        let syn::Item::Impl(imp) = item else {
            return None;
        };
        let (_, trait_path, _) = imp.trait_.as_ref()?;
        if trait_path.segments.last()?.ident != "MigratorTrait" {
            return None;
        }
        let syn::Type::Path(ty) = imp.self_ty.as_ref() else {
            return None;
        };
        Some(ty.path.segments.last()?.ident.to_string())
    }))
}

/// The single member that satisfies `is`, `None` when there is none, or an error
/// naming every candidate when there are several.
pub fn single<'a>(
    members: &'a [Member],
    what: &str,
    flag: &str,
    is: impl Fn(&Member) -> bool,
) -> anyhow::Result<Option<&'a Member>> {
    let found: Vec<&Member> = members.iter().filter(|m| is(m)).collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => bail!(
            "several crates look like the {what}: {}; name one with {flag}",
            many.iter()
                .map(|m| m.package.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
