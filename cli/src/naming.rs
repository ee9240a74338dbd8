//! Migration module names: `mYYYYMMDD_HHMMSS_slug`.

use anyhow::bail;

/// The slug of a description: lowercase ASCII words joined by `_`, at most 60
/// characters. Letters of other scripts are transliterated first (`Präferenzen`
/// → `praferenzen`, `пользователи` → `polzovateli`, `用户` → `yong_hu`), so a
/// description in any language names its module; the result is a valid Rust
/// identifier in a module name without lint warnings.
pub fn slug(description: &str) -> anyhow::Result<String> {
    // Char by char, so that the soft sign (`ь` → `'`) does not split a word.
    let ascii: String = description
        .chars()
        .map(|c| match c {
            c if c.is_ascii() => c.to_string(),
            c => deunicode::deunicode_char(c)
                .unwrap_or(" ")
                .replace('\'', ""),
        })
        .collect();
    let mut out = String::new();
    for word in ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&word.to_ascii_lowercase());
        if out.len() >= 60 {
            break;
        }
    }
    out.truncate(60);
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        bail!(
            "the description `{description}` has no letters or digits to name the migration with"
        );
    }
    Ok(out)
}

/// A new module name for `description`, later than every name in `existing` (so
/// the new migration sorts last even if the clock is behind).
pub fn module_name(
    description: &str,
    existing: &[String],
    now: chrono::NaiveDateTime,
) -> anyhow::Result<String> {
    let slug = slug(description)?;
    // Only timestamped names order migrations; `lib`, `seed` and the like do not.
    let timestamped: Vec<&str> = existing
        .iter()
        .map(String::as_str)
        .filter(|e| is_timestamped(e))
        .collect();
    let mut stamp = now;
    loop {
        let prefix = stamp.format("m%Y%m%d_%H%M%S").to_string();
        let newer_than_all = timestamped.iter().all(|e| *e < prefix.as_str());
        if newer_than_all {
            return Ok(format!("{prefix}_{slug}"));
        }
        stamp += chrono::Duration::seconds(1);
        if stamp > now + chrono::Duration::days(366) {
            bail!("cannot find a migration name later than the existing ones");
        }
    }
}

/// Whether `name` starts like `mYYYYMMDD_HHMMSS`.
fn is_timestamped(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 16
        && b[0] == b'm'
        && b[9] == b'_'
        && b[1..9].iter().all(u8::is_ascii_digit)
        && b[10..16].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> chrono::NaiveDateTime {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap_or_default()
    }

    #[test]
    fn slugs_are_snake_case_ascii() {
        assert_eq!(
            slug("Add user preferences!").ok().as_deref(),
            Some("add_user_preferences")
        );
        assert!(slug("!!!").is_err());
    }

    #[test]
    fn non_ascii_descriptions_are_transliterated() {
        let s = |d: &str| slug(d).ok();
        assert_eq!(
            s("Präferenzen für Nutzer").as_deref(),
            Some("praferenzen_fur_nutzer")
        );
        assert_eq!(
            s("добавить пользователей").as_deref(),
            Some("dobavit_polzovatelei")
        );
        assert_eq!(s("用户 表").as_deref(), Some("yong_hu_biao"));
        assert_eq!(s("café 2").as_deref(), Some("cafe_2"));
        // Only symbols without letters stay an error, never an empty slug.
        assert!(slug("→ ✓").is_err() || slug("→ ✓").is_ok_and(|s| !s.is_empty()));
        assert!(slug("   ").is_err());
    }

    #[test]
    fn names_sort_after_existing_ones() {
        let now = at("2026-11-21 10:00:00");
        let existing = vec!["m20261121_100000_first".to_string()];
        assert_eq!(
            module_name("second", &existing, now).ok().as_deref(),
            Some("m20261121_100001_second")
        );
        assert_eq!(
            module_name("x", &[], now).ok().as_deref(),
            Some("m20261121_100000_x")
        );
        let others = vec!["seed".to_string(), "lib".to_string()];
        assert_eq!(
            module_name("x", &others, now).ok().as_deref(),
            Some("m20261121_100000_x")
        );
    }
}
