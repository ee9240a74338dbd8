//! The one place where credentials are taken out of text before it is shown.
//!
//! Two mechanisms, both applied by [`redact`]:
//!
//! 1. **Structure.** Every URL in the text (`scheme://...`) loses the password of
//!    its user information and the value of every credential query parameter
//!    ([`is_credential_key`]: `password`, `sslpassword`, `pass`, `pwd`, ... in any
//!    case), whether or not the URL parses.
//! 2. **Known values.** Every credential the process has seen ([`remember_url`],
//!    [`remember`]: the URL's password and credential parameters, `POSTGRES_PASSWORD`,
//!    `PGPASSWORD`, `MYSQL_PWD`) is replaced wherever it appears, in every encoding a
//!    driver may print it in (as given, percent-decoded, percent-encoded as sqlx and
//!    the `url` crate write it, form-encoded, and `Debug`/JSON-escaped). This covers
//!    text that is not a URL, such as a driver's `value=...` log fields.
//!
//! Every output channel goes through [`redact`]: error lines (`output::fail`), text
//! lines (`output::outln!`/`errln!`), JSON documents ([`redact_json`]), and all
//! logs, including the ones dependencies emit, through [`RedactingStderr`].

use std::io::Write;
use std::sync::Mutex;

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// What a credential is replaced with.
pub const MASK: &str = "***";

/// Known credentials shorter than this are not replaced inside free text (a
/// two-letter password would turn every word containing it into `***`); the
/// structural redaction of URLs still hides them.
const MIN_KNOWN_LEN: usize = 4;

/// Every form of every credential seen by this process.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Whether a URL query parameter or `KEY=VALUE` setting holds a credential:
/// `password`, `sslpassword`, `pass`, `passwd`, `pwd`, `passphrase`,
/// `sslkeypassword`, `secret`, `token`, `apikey` and their `-`/`_` spellings, in
/// any case. `passfile`/`sslkey`/`sslcert` name files, not secrets, and stay visible.
pub fn is_credential_key(key: &str) -> bool {
    let key: String = key
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    matches!(key.as_str(), "pass" | "passwd" | "pwd" | "apikey")
        || key.contains("password")
        || key.contains("passphrase")
        || key.contains("secret")
        || key.ends_with("token")
}

/// Remembers `secret` (in every encoding) so that [`redact`] hides it everywhere.
pub fn remember(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let decoded = percent_decode_str(secret)
        .decode_utf8()
        .map(|d| d.into_owned())
        .unwrap_or_else(|_| secret.to_owned());
    // Query strings also decode `+` as a space.
    let form_decoded: String = url::form_urlencoded::parse(format!("v={secret}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let mut forms = vec![secret.to_owned(), decoded.clone(), form_decoded.clone()];
    for plain in [secret, decoded.as_str(), form_decoded.as_str()] {
        forms.push(utf8_percent_encode(plain, NON_ALPHANUMERIC).to_string());
        forms.push(url::form_urlencoded::byte_serialize(plain.as_bytes()).collect());
        if let Ok(mut u) = url::Url::parse("x://u@h")
            && u.set_password(Some(plain)).is_ok()
            && let Some(p) = u.password()
        {
            forms.push(p.to_owned());
        }
    }
    let escaped: Vec<String> = forms
        .iter()
        .flat_map(|f| {
            let json = serde_json::to_string(f).unwrap_or_default();
            [
                f.escape_debug().to_string(),
                json.trim_matches('"').to_owned(),
            ]
        })
        .collect();
    forms.extend(escaped);
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for form in forms {
        if form.chars().count() >= MIN_KNOWN_LEN && !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    // Longest first, so that a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Remembers every credential of `url`: its user-information password and the
/// values of its credential query parameters, also when the URL does not parse.
pub fn remember_url(url: &str) {
    if let Some(range) = userinfo_password(url) {
        remember(&url[range]);
    }
    for (_, value) in credential_params(url) {
        remember(value);
    }
}

/// `text` with every credential hidden: known values, the passwords of URLs and
/// their credential query parameters. The one redaction function of the CLI.
pub fn redact(text: &str) -> String {
    let known = {
        let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
        secrets
            .iter()
            .fold(text.to_owned(), |acc, s| acc.replace(s.as_str(), MASK))
    };
    redact_urls_in(&known)
}

/// A URL with its password and credential parameters replaced by `***`, also when
/// it does not parse. Other parts (user, host, database, options) stay readable.
pub fn redact_url(raw: &str) -> String {
    redact(raw)
}

/// `value` with [`redact`] applied to every string in it (keys included).
pub fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact(s)),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (redact(k), redact_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Every URL-looking token of `text` (`scheme://` up to whitespace or a quote)
/// passed through [`redact_one_url`].
fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(sep) = rest.find("://") {
        let scheme_start = rest[..sep]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(sep, |(i, _)| i);
        let end = rest[sep..]
            .find(|c: char| c.is_whitespace() || matches!(c, '`' | '"' | '\'' | '<' | '>'))
            .map_or(rest.len(), |i| sep + i);
        out.push_str(&rest[..scheme_start]);
        if scheme_start == sep {
            // `://` with no scheme before it: not a URL.
            out.push_str(&rest[sep..sep + 3]);
            rest = &rest[sep + 3..];
            continue;
        }
        out.push_str(&redact_one_url(&rest[scheme_start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// One URL with the password of its user information and the values of its
/// credential query parameters masked, by text alone (it may not parse).
fn redact_one_url(url: &str) -> String {
    let mut out = url.to_owned();
    // Right to left, so that earlier ranges stay valid.
    let mut ranges: Vec<std::ops::Range<usize>> =
        credential_params(url).into_iter().map(|(r, _)| r).collect();
    ranges.extend(userinfo_password(url).filter(|r| !r.is_empty()));
    ranges.sort_by_key(|r| std::cmp::Reverse(r.start));
    for range in ranges {
        if out.get(range.clone()) != Some(MASK) {
            out.replace_range(range, MASK);
        }
    }
    out
}

/// Where the password of `scheme://user:password@host...` is, by text alone, so
/// that a URL the parser rejects (bad port, empty host) still has it found.
fn userinfo_password(raw: &str) -> Option<std::ops::Range<usize>> {
    let authority_start = raw.find("://")? + 3;
    let rest = &raw[authority_start..];
    // Not cut at `/`: a password may contain one unencoded; the last `@` ends it.
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let at = rest.rfind('@')?;
    let colon = rest[..at].find(':')?;
    Some(authority_start + colon + 1..authority_start + at)
}

/// The credential parameters of `url`'s query: the byte range of each value, and
/// the value as written.
fn credential_params(url: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let Some(q) = url.find('?') else {
        return Vec::new();
    };
    let query_end = url[q..].find('#').map_or(url.len(), |i| q + i);
    let mut found = Vec::new();
    let mut start = q + 1;
    for pair in url[q + 1..query_end].split(['&', ';']) {
        if let Some((key, value)) = pair.split_once('=') {
            let key = percent_decode_str(key)
                .decode_utf8_lossy()
                .replace('+', " ");
            if is_credential_key(key.trim()) && !value.is_empty() {
                let value_start = start + pair.len() - value.len();
                found.push((value_start..value_start + value.len(), value));
            }
        }
        start += pair.len() + 1;
    }
    found
}

/// A `tracing_subscriber` writer to stderr that passes each log event through
/// [`redact`] before any byte is written: logs of dependencies (sqlx prints whole
/// connection options at `trace`) included.
#[derive(Clone, Copy, Debug, Default)]
pub struct RedactingStderr;

/// One log event being written; redacted and written to stderr when dropped.
pub struct EventBuffer(Vec<u8>);

impl Write for EventBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let text = event_text(&self.0);
        let mut stderr = std::io::stderr().lock();
        stderr.write_all(text.as_bytes()).ok();
        stderr.flush().ok();
    }
}

/// A formatted log event as it is written: redacted, and on one line — a line break
/// or carriage return inside it (a name read from the database, say) is written as
/// `\n` / `\r`, so no text can forge a log line of its own.
fn event_text(bytes: &[u8]) -> String {
    let text = redact(&String::from_utf8_lossy(bytes));
    let (body, end) = match text.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (text.as_str(), ""),
    };
    format!("{}{end}", body.replace('\n', "\\n").replace('\r', "\\r"))
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactingStderr {
    type Writer = EventBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        EventBuffer(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_event_stays_on_one_line() {
        assert_eq!(
            event_text(b"WARN table `a\nINFO forged\r` skipped\n"),
            "WARN table `a\\nINFO forged\\r` skipped\n"
        );
        assert_eq!(event_text(b"no newline"), "no newline");
    }

    #[test]
    fn userinfo_passwords_are_hidden_even_in_urls_that_do_not_parse() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/app"),
            "postgres://app:***@db:5432/app"
        );
        assert_eq!(
            redact_url("postgres://app:pw1@host:notaport/db"),
            "postgres://app:***@host:notaport/db"
        );
        assert_eq!(redact_url("mysql://app:p@w2@/db"), "mysql://app:***@/db");
        assert_eq!(redact_url("mysql://app:a/b@h/db"), "mysql://app:***@h/db");
        assert_eq!(redact_url("not a url"), "not a url");
        assert_eq!(
            redact_url("sqlite://app.db?mode=rwc"),
            "sqlite://app.db?mode=rwc"
        );
    }

    #[test]
    fn credential_parameters_are_hidden_in_any_case() {
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=require&PassWord=zz9&sslpassword=k%20y&x=1"),
            "postgres://u@h/db?sslmode=require&PassWord=***&sslpassword=***&x=1"
        );
        assert_eq!(
            redact("error: cannot connect to `mysql://u@h:1/db?pwd=abc;pass=def#f`: refused"),
            "error: cannot connect to `mysql://u@h:1/db?pwd=***;pass=***#f`: refused"
        );
        assert_eq!(
            redact("url=postgres://u:a@h/db?ssl-key-password=q&passfile=/p x"),
            "url=postgres://u:***@h/db?ssl-key-password=***&passfile=/p x"
        );
    }

    #[test]
    fn known_values_are_hidden_in_every_encoding() {
        remember_url("postgres://u:Known%40Pass%21@h/db?sslpassword=Key%20Phrase7");
        for shown in [
            "Known@Pass!",
            "Known%40Pass%21",
            "Key Phrase7",
            "Key+Phrase7",
            "Key%20Phrase7",
        ] {
            assert_eq!(redact(&format!("value={shown} end")), "value=*** end");
        }
        remember("Quo\"te\\Pw");
        assert_eq!(redact(r#"{"p":"Quo\"te\\Pw"}"#), r#"{"p":"***"}"#);
        assert_eq!(
            redact_json(&serde_json::json!({"e": ["Quo\"te\\Pw"]})),
            serde_json::json!({"e": ["***"]})
        );
    }

    #[test]
    fn short_known_values_are_left_to_structure() {
        remember("ab");
        assert_eq!(redact("tab"), "tab");
        assert_eq!(redact("postgres://u:ab@h/d"), "postgres://u:***@h/d");
    }

    #[test]
    fn credential_keys() {
        for key in [
            "password",
            "PASSWORD",
            "sslpassword",
            "ssl-password",
            "pwd",
            "pass",
        ] {
            assert!(is_credential_key(key), "{key}");
        }
        for key in ["passfile", "sslkey", "sslmode", "user", "passage"] {
            assert!(!is_credential_key(key), "{key}");
        }
    }
}
