//! Finding the entity modules of a crate from its source, for `build.rs` (and its
//! tests): every public module reachable from `src/lib.rs` through `pub mod`
//! declarations (nested ones too, as in sea-orm-cli's `entities/mod.rs` layout, and
//! inline `pub mod x { ... }` blocks) whose items derive `DeriveEntityModel`.

use std::path::{Path, PathBuf};

/// The path (`users`, `entities::users`) of every entity module under `src`, sorted;
/// or an error naming the file that cannot be read or parsed.
pub fn entity_modules(src: &Path) -> Result<Vec<String>, String> {
    let lib = src.join("lib.rs");
    let file = parse_file(&lib)?;
    let mut found = Vec::new();
    walk(&file.items, src, "", &mut found)?;
    found.sort();
    Ok(found)
}

/// Visits the public modules declared in `items`; `dir` is where their files live
/// and `prefix` their path so far (`""` or `a::b::`).
fn walk(
    items: &[syn::Item],
    dir: &Path,
    prefix: &str,
    found: &mut Vec<String>,
) -> Result<(), String> {
    for item in items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if !matches!(module.vis, syn::Visibility::Public(_)) || has_path_attr(module) {
            continue;
        }
        let name = module.ident.to_string();
        let path = format!("{prefix}{name}");
        let inner_dir = dir.join(&name);
        let items = match &module.content {
            Some((_, items)) => items.clone(),
            None => match module_file(dir, &name) {
                Some(file) => parse_file(&file)?.items,
                None => continue,
            },
        };
        if derives_entity_model(&items) {
            found.push(path.clone());
        }
        walk(&items, &inner_dir, &format!("{path}::"), found)?;
    }
    Ok(())
}

fn has_path_attr(module: &syn::ItemMod) -> bool {
    module.attrs.iter().any(|a| a.path().is_ident("path"))
}

fn parse_file(path: &Path) -> Result<syn::File, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    syn::parse_file(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))
}

fn module_file(dir: &Path, name: &str) -> Option<PathBuf> {
    [
        dir.join(format!("{name}.rs")),
        dir.join(name).join("mod.rs"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn derives_entity_model(items: &[syn::Item]) -> bool {
    items.iter().any(|item| {
        let syn::Item::Struct(s) = item else {
            return false;
        };
        s.attrs.iter().any(|attr| {
            attr.path().is_ident("derive")
                && attr
                    .parse_args_with(
                        syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                    )
                    .map(|paths| {
                        paths.iter().any(|p| {
                            p.segments
                                .last()
                                .is_some_and(|s| s.ident == "DeriveEntityModel")
                        })
                    })
                    .unwrap_or(false)
        })
    })
}
