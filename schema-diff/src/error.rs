//! Errors of the engine.

/// Everything that can go wrong between reading a schema and writing a migration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database answered with an error.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// An entity uses a column type this tool cannot map.
    #[error("entity `{entity}`, column `{column}`: {reason}")]
    UnsupportedType {
        entity: String,
        column: String,
        reason: String,
    },
    /// The database holds something the introspection could not read.
    #[error("cannot read table `{table}`: {reason}")]
    Introspection { table: String, reason: String },
    /// A name or expression that cannot be put into SQL safely.
    #[error(transparent)]
    UnsafeName(#[from] crate::sql_text::UnsafeName),
    /// A table or column name longer than every backend keeps.
    #[error(transparent)]
    NameTooLong(#[from] crate::names::NameTooLong),
    /// The generated code could not be formatted.
    #[error("cannot render the migration: {0}")]
    Render(String),
}

/// `text` without the ` at line N` that the PostgreSQL driver appends to the
/// server's messages: N is a line of the server's own C source, which says
/// nothing to a user (`database "x" does not exist at line 948`).
pub fn without_server_source_line(text: &str) -> String {
    const MARK: &str = " at line ";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(MARK) {
        let after = &rest[i + MARK.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let ends_there = after[digits..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if digits > 0 && ends_there {
            out.push_str(&rest[..i]);
            rest = &after[digits..];
        } else {
            out.push_str(&rest[..i + MARK.len()]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::without_server_source_line as strip;

    #[test]
    fn the_server_source_line_is_dropped() {
        assert_eq!(
            strip("error returned from database: database \"x\" does not exist at line 948"),
            "error returned from database: database \"x\" does not exist"
        );
        assert_eq!(strip("a at line 12: b at line 7; c"), "a: b; c");
        assert_eq!(strip("at line 3x stays"), "at line 3x stays");
        assert_eq!(strip("ends at line "), "ends at line ");
        assert_eq!(strip("no suffix"), "no suffix");
    }
}
