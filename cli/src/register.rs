//! Registering a new module in the migration crate's `lib.rs`, found with a real
//! parser (`syn`) and changed by inserting text at the parsed positions, so that
//! comments, hand-written migrations and every other item stay as they are.

use std::path::Path;

use anyhow::{Context, bail};
use proc_macro2::{LineColumn, TokenTree};
use syn::spanned::Spanned;

/// `lib_rs` with `mod <module>;` declared and `Box::new(<module>::Migration)`
/// appended to the `vec![...]` that `MigratorTrait::migrations` returns.
/// `path` is where `lib_rs` was read, for messages: a file that does not parse
/// is an error at `path:LINE:COLUMN`.
pub fn register(path: &Path, lib_rs: &str, module: &str) -> anyhow::Result<String> {
    let file = syn::parse_file(lib_rs).map_err(|e| parse_error(path, &e))?;
    if file
        .items
        .iter()
        .any(|item| matches!(item, syn::Item::Mod(m) if m.ident == module))
    {
        bail!("module `{module}` is already declared in lib.rs");
    }
    let list = migrations_vec(lib_rs, &file).context(
        "lib.rs has no `impl MigratorTrait for ...` whose `fn migrations()` ends in `vec![...]`; \
         add the module by hand",
    )?;

    // Edits from the end of the file backwards, so earlier offsets stay valid.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let entry = format!("Box::new({module}::Migration)");
    let open = offset(lib_rs, list.open)?;
    let close = offset(lib_rs, list.close)?;
    let indent = line_indent(lib_rs, open);
    let inner = &lib_rs[open + 1..close];
    if inner.contains("//") || inner.contains("/*") {
        // Comments inside the list: append below the last entry, touching nothing else.
        let end = match list.last_token_end {
            Some(end) => offset(lib_rs, end)?,
            None => close,
        };
        let comma = if list.trailing_comma || list.last_token_end.is_none() {
            ""
        } else {
            ","
        };
        edits.push((end, end, format!("{comma}\n{indent}    {entry},")));
    } else {
        // Lay the list out as rustfmt would: one line when it fits, else one entry a line.
        let mut entries = list.entries.clone();
        entries.push(entry);
        let joined = entries.join(", ");
        let one_line = format!("[{joined}]");
        let line_start = lib_rs[..open].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let fits = joined.len() <= RUSTFMT_ARRAY_WIDTH
            && open - line_start + one_line.len() <= RUSTFMT_MAX_WIDTH;
        let text = if fits {
            one_line
        } else {
            let body: String = entries
                .iter()
                .map(|e| format!("{indent}    {e},\n"))
                .collect();
            format!("[\n{body}{indent}]")
        };
        edits.push((open, close + 1, text));
    }
    let (at, text) = mod_declaration(lib_rs, &file, module)?;
    edits.push((at, at, text));
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = lib_rs.to_owned();
    for (start, end, text) in edits {
        out.replace_range(start..end, &text);
    }
    syn::parse_file(&out).map_err(|e| {
        parse_error(path, &e).context("registering the module would leave lib.rs unparsable")
    })?;
    Ok(out)
}

/// rustfmt's default `max_width`.
const RUSTFMT_MAX_WIDTH: usize = 100;
/// rustfmt's default `array_width`: longer lists get one entry a line.
const RUSTFMT_ARRAY_WIDTH: usize = 60;
struct VecList {
    /// Each entry's source text.
    entries: Vec<String>,
    open: LineColumn,
    close: LineColumn,
    last_token_end: Option<LineColumn>,
    trailing_comma: bool,
}

/// `path:LINE:COLUMN: cannot parse the migration crate's lib.rs: MESSAGE`, the
/// position 1-based as editors and rustc show it.
fn parse_error(path: &Path, error: &syn::Error) -> anyhow::Error {
    let at = error.span().start();
    anyhow::anyhow!(
        "{}:{}:{}: cannot parse the migration crate's lib.rs: {error}; fix it, then run the \
         command again",
        path.display(),
        at.line,
        at.column + 1
    )
}

fn migrations_vec(text: &str, file: &syn::File) -> Option<VecList> {
    let item_impl = file.items.iter().find_map(|item| match item {
        syn::Item::Impl(i)
            if i.trait_.as_ref().is_some_and(|(_, path, _)| {
                path.segments
                    .last()
                    .is_some_and(|s| s.ident == "MigratorTrait")
            }) =>
        {
            Some(i)
        }
        _ => None,
    })?;
    let body = item_impl.items.iter().find_map(|item| match item {
        syn::ImplItem::Fn(f) if f.sig.ident == "migrations" => Some(&f.block),
        _ => None,
    })?;
    let mac = match body.stmts.last()? {
        syn::Stmt::Expr(syn::Expr::Macro(m), None) => &m.mac,
        syn::Stmt::Macro(m) => &m.mac,
        _ => return None,
    };
    if !mac.path.is_ident("vec") {
        return None;
    }
    let syn::MacroDelimiter::Bracket(bracket) = &mac.delimiter else {
        return None;
    };
    let tokens: Vec<TokenTree> = mac.tokens.clone().into_iter().collect();
    let trailing_comma = matches!(tokens.last(), Some(TokenTree::Punct(p)) if p.as_char() == ',');
    let exprs = mac
        .parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    let entries = exprs
        .iter()
        .map(|e| {
            let (start, end) = (
                offset(text, e.span().start()).ok()?,
                offset(text, e.span().end()).ok()?,
            );
            text.get(start..end).map(str::to_owned)
        })
        .collect::<Option<Vec<_>>>()?;
    Some(VecList {
        entries,
        open: bracket.span.open().start(),
        close: bracket.span.close().start(),
        last_token_end: tokens.last().map(|t| t.span().end()),
        trailing_comma,
    })
}

/// Where `mod <module>;` goes: after the last module declaration, else after the
/// last `use`, else at the top (after inner attributes and doc comments).
fn mod_declaration(text: &str, file: &syn::File, module: &str) -> anyhow::Result<(usize, String)> {
    let last_mod = file.items.iter().rev().find_map(|item| match item {
        syn::Item::Mod(m) if m.content.is_none() => Some(m),
        _ => None,
    });
    if let Some(m) = last_mod {
        let vis = match m.vis {
            syn::Visibility::Public(_) => "pub ",
            _ => "",
        };
        return Ok((
            offset(text, m.span().end())?,
            format!("\n{vis}mod {module};"),
        ));
    }
    let last_use = file
        .items
        .iter()
        .rev()
        .find(|item| matches!(item, syn::Item::Use(_)));
    if let Some(u) = last_use {
        return Ok((offset(text, u.span().end())?, format!("\n\nmod {module};")));
    }
    let first = file
        .items
        .first()
        .map(|i| offset(text, i.span().start()))
        .transpose()?;
    Ok((first.unwrap_or(text.len()), format!("mod {module};\n\n")))
}

/// Byte offset of a proc-macro2 line (1-based) / column (0-based, in chars).
fn offset(text: &str, at: LineColumn) -> anyhow::Result<usize> {
    let mut line_start = 0;
    for _ in 1..at.line {
        let next = text[line_start..]
            .find('\n')
            .context("position beyond the end of lib.rs")?;
        line_start += next + 1;
    }
    let line = &text[line_start..];
    let within = line
        .char_indices()
        .nth(at.column)
        .map(|(i, _)| i)
        .unwrap_or(line.len());
    Ok(line_start + within)
}

fn line_indent(text: &str, at: usize) -> String {
    let start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"//! Migrations.
pub use sea_orm_migration::prelude::*;

mod m20260101_000000_init;
// A hand-written one, kept.
mod m20260102_000000_hand_written;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000000_init::Migration),
            // keep this comment
            Box::new(m20260102_000000_hand_written::Migration)
        ]
    }
}
"#;

    #[test]
    fn appends_module_and_entry_keeping_everything_else() {
        let out =
            register(Path::new("lib.rs"), TEMPLATE, "m20260103_000000_new").unwrap_or_default();
        assert!(out.contains("mod m20260102_000000_hand_written;\nmod m20260103_000000_new;\n"));
        assert!(out.contains(
            "Box::new(m20260102_000000_hand_written::Migration),\n            Box::new(m20260103_000000_new::Migration),\n        ]"
        ));
        assert!(out.contains("// keep this comment"));
        assert!(out.contains("// A hand-written one, kept."));
    }

    #[test]
    fn fills_an_empty_list() {
        let empty = "pub use sea_orm_migration::prelude::*;\n\npub struct Migrator;\n\n#[async_trait::async_trait]\nimpl MigratorTrait for Migrator {\n    fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec![]\n    }\n}\n";
        let out = register(Path::new("lib.rs"), empty, "m20260101_000000_init").unwrap_or_default();
        assert!(out.contains("\n\nmod m20260101_000000_init;\n"));
        assert!(out.contains("        vec![Box::new(m20260101_000000_init::Migration)]\n"));
        assert!(syn::parse_file(&out).is_ok());
        let two = register(Path::new("lib.rs"), &out, "m20260102_000000_next").unwrap_or_default();
        assert!(two.contains(
            "        vec![\n            Box::new(m20260101_000000_init::Migration),\n            Box::new(m20260102_000000_next::Migration),\n        ]\n"
        ));
    }

    #[test]
    fn refuses_duplicates_and_unknown_shapes() {
        assert!(register(Path::new("lib.rs"), TEMPLATE, "m20260101_000000_init").is_err());
        assert!(register(Path::new("lib.rs"), "fn main() {}", "m1").is_err());
        assert!(register(Path::new("lib.rs"), "fn main( {", "m1").is_err());
        let err = register(
            Path::new("src/lib.rs"),
            "mod a;\nfn main() {\n  let x = ;\n}\n",
            "m1",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.starts_with("src/lib.rs:3:11: cannot parse"), "{err}");
    }
}
