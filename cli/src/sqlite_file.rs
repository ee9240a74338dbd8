//! Which file a `sqlite:` URL names, read exactly as sqlx's SQLite driver reads
//! it (`sqlx-sqlite`'s `SqliteConnectOptions::from_str`): the scheme stripped,
//! everything before the first `?` percent-decoded as UTF-8, `:memory:` or
//! `mode=memory` for an in-memory database. Backup, restore and the URL check
//! all use [`path_of`], so they act on the file the driver opens; [`url_of`]
//! builds the URL of a path so that the driver opens that very file, whatever
//! characters (`?`, `#`, `%`, spaces) its name holds.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, percent_encode};

/// What is escaped in a file name placed in a `sqlite:` URL.
const ESCAPED: &AsciiSet = &CONTROLS.add(b'%').add(b'?').add(b'#');

/// The file the driver opens for `url`, or `None` for an in-memory database.
/// An error when the file name is not valid percent-encoded UTF-8, which the
/// driver refuses too.
pub fn path_of(url: &str) -> anyhow::Result<Option<PathBuf>> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, params) = match rest.split_once('?') {
        Some((d, p)) => (d, Some(p)),
        None => (rest, None),
    };
    let in_memory = database == ":memory:"
        || params.is_some_and(|p| {
            url::form_urlencoded::parse(p.as_bytes()).any(|(k, v)| k == "mode" && v == "memory")
        });
    if in_memory {
        return Ok(None);
    }
    let decoded = percent_decode_str(database)
        .decode_utf8()
        .context("the SQLite file name in the URL is not valid percent-encoded UTF-8")?;
    if decoded.is_empty() {
        bail!("no SQLite file named (sqlite://FILE)");
    }
    Ok(Some(PathBuf::from(decoded.into_owned())))
}

/// `sqlite://PATH?mode=MODE`, with the characters the driver would otherwise
/// read differently percent-encoded. An error for a path that is not UTF-8
/// (the driver cannot open it).
pub fn url_of(path: &Path, mode: &str) -> anyhow::Result<String> {
    let Some(text) = path.to_str() else {
        bail!(
            "the SQLite file `{}` has a name that is not UTF-8",
            path.display()
        );
    };
    Ok(format!(
        "sqlite://{}?mode={mode}",
        percent_encode(text.as_bytes(), ESCAPED)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_is_what_the_driver_reads() {
        let p = |u: &str| path_of(u).ok().flatten();
        assert_eq!(p("sqlite://pctdb%41.db"), Some(PathBuf::from("pctdbA.db")));
        assert_eq!(
            p("sqlite:///tmp/a%20b.db?mode=rwc"),
            Some(PathBuf::from("/tmp/a b.db"))
        );
        assert_eq!(p("sqlite:app.db"), Some(PathBuf::from("app.db")));
        assert_eq!(p("sqlite::memory:"), None);
        assert_eq!(p("sqlite://x.db?mode=memory"), None);
        assert!(path_of("sqlite://bad%FF.db").is_err());
        assert!(path_of("sqlite://").is_err());
    }

    #[test]
    fn urls_of_paths_round_trip() {
        for name in ["/tmp/q?x#y%41 z.db", "rel/a%2541.sqlite", "plain.db"] {
            let url = url_of(Path::new(name), "rw").expect("url");
            assert_eq!(
                path_of(&url).ok().flatten(),
                Some(PathBuf::from(name)),
                "{url}"
            );
            let opts: sea_orm::sqlx::sqlite::SqliteConnectOptions =
                url.parse().expect("the driver parses it");
            assert_eq!(opts.get_filename(), Path::new(name), "{url}");
        }
    }
}
