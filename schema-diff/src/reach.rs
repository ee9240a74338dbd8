//! Whether a database server can be reached at all, told at once.
//!
//! sqlx's pool retries a refused TCP connection until its acquire timeout (it
//! takes a refusal for a server still starting), so a URL whose port is closed
//! fails only after the whole connect timeout, with "timed out" rather than the
//! cause. One TCP dial says it at once: [`dial`] resolves the host and connects,
//! and a [`DialError`] that [`is_definite`](DialError::is_definite) (refused,
//! unknown host, no route) will not change by waiting. The relay of
//! [`crate::nodelay`] makes this dial anyway (its first TCP connection serves the
//! driver's first connection, so it costs nothing); without the relay,
//! [`check_while`] dials once beside the driver's connection attempt.
//!
//! `db-migrate wait` and [`crate::startup::wait_for_database`] keep retrying
//! definite errors too: waiting for a server to come up is their job.

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

/// Why a server could not be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialErrorKind {
    /// Nothing listens on the port (`ECONNREFUSED`).
    Refused,
    /// The host name does not resolve (to any address).
    UnknownHost,
    /// No route to the host or to its network (`EHOSTUNREACH`, `ENETUNREACH`).
    NoRoute,
    /// Anything else (an operating-system timeout, a local error): not a
    /// reason to give up before the connect timeout.
    Other,
}

/// A failed [`dial`]: the cause, the `host:port` dialled and the operating
/// system's error. Its text names the cause and the target, never a password
/// (the target is a host and a port only).
#[derive(Debug)]
pub struct DialError {
    kind: DialErrorKind,
    target: String,
    source: io::Error,
}

impl DialError {
    /// A failure of `kind` dialling `host:port`.
    pub fn new(kind: DialErrorKind, host: &str, port: u16, source: io::Error) -> Self {
        DialError {
            kind,
            target: host_port(host, port),
            source,
        }
    }

    /// A local failure (no socket, no directory) before anything was dialled.
    pub fn local(host: &str, port: u16, source: io::Error) -> Self {
        DialError::new(DialErrorKind::Other, host, port, source)
    }

    /// Why the dial failed.
    pub fn kind(&self) -> DialErrorKind {
        self.kind
    }

    /// `host:port` as dialled (an IPv6 address in brackets).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether waiting would not help: refused, unknown host, no route. A
    /// command then fails at once rather than at the end of its timeout.
    pub fn is_definite(&self) -> bool {
        self.kind != DialErrorKind::Other
    }
}

impl fmt::Display for DialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        describe(f, self.kind, &self.target, &self.source)
    }
}

impl std::error::Error for DialError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

fn describe(
    f: &mut fmt::Formatter<'_>,
    kind: DialErrorKind,
    target: &str,
    source: &io::Error,
) -> fmt::Result {
    match kind {
        DialErrorKind::Refused => write!(
            f,
            "connection refused: is the server running on {target}, and are the host and \
             port right?"
        ),
        DialErrorKind::UnknownHost => {
            let host = target.rsplit_once(':').map_or(target, |(h, _)| h);
            write!(
                f,
                "unknown host `{host}`: the name does not resolve ({source}); check the \
                 host in the URL"
            )
        }
        DialErrorKind::NoRoute => write!(
            f,
            "no route to {target} ({source}): check the host, the network and any firewall"
        ),
        DialErrorKind::Other => write!(f, "cannot connect to {target}: {source}"),
    }
}

/// The kind of a connect error of the operating system.
pub fn kind_of(error: &io::Error) -> DialErrorKind {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => DialErrorKind::Refused,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            DialErrorKind::NoRoute
        }
        _ => DialErrorKind::Other,
    }
}

/// The text of a driver's connection error when it is one of the causes
/// [`dial`] names (refused, no route) for the server at `target` (`host:port`),
/// said the same way; `None` for every other error.
pub fn explain_io(error: &io::Error, target: &str) -> Option<String> {
    struct Text<'a>(DialErrorKind, &'a str, &'a io::Error);
    impl fmt::Display for Text<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            describe(f, self.0, self.1, self.2)
        }
    }
    match kind_of(error) {
        DialErrorKind::Other | DialErrorKind::UnknownHost => None,
        kind => Some(Text(kind, target, error).to_string()),
    }
}

/// `host:port`, with an IPv6 address in brackets.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A TCP connection to `host:port` (a name or an address; an IPv6 address
/// without brackets), trying each address the host resolves to in turn, as the
/// drivers do. The error is that of the last address, or the resolver's.
pub async fn dial(host: &str, port: u16) -> Result<TcpStream, DialError> {
    let addresses = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| DialError::new(DialErrorKind::UnknownHost, host, port, e))?;
    let mut last = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => DialError::new(kind_of(&e), host, port, e),
        None => DialError::new(
            DialErrorKind::UnknownHost,
            host,
            port,
            io::Error::new(io::ErrorKind::NotFound, "no address"),
        ),
    })
}

/// How long [`check_while`] lets the connection attempt run before it dials: a
/// server that answers makes no extra connection.
pub const CHECK_AFTER: Duration = Duration::from_millis(100);

/// Runs `connecting` (a driver's connection attempt to `host:port`, which may
/// retry a refused connection until its timeout) and, if it has not finished
/// after [`CHECK_AFTER`], dials the server once beside it: a definite failure
/// ([`DialError::is_definite`]) ends the attempt at once with that error. A
/// dial that succeeds is closed without a byte sent; another failure lets the
/// attempt go on to its own end.
pub async fn check_while<F: Future>(
    host: &str,
    port: u16,
    connecting: F,
) -> Result<F::Output, DialError> {
    let check = async {
        tokio::time::sleep(CHECK_AFTER).await;
        match dial(host, port).await {
            Err(e) if e.is_definite() => e,
            Err(e) => {
                tracing::debug!(error = %e, "reachability check inconclusive");
                std::future::pending().await
            }
            Ok(_stream) => std::future::pending().await,
        }
    };
    tokio::pin!(connecting);
    tokio::select! {
        done = &mut connecting => Ok(done),
        error = check => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        port
    }

    #[tokio::test]
    async fn a_closed_port_is_refused_and_said_so() {
        let port = closed_port();
        let error = dial("127.0.0.1", port).await.expect_err("closed");
        assert_eq!(error.kind(), DialErrorKind::Refused);
        assert!(error.is_definite());
        assert_eq!(
            error.to_string(),
            format!(
                "connection refused: is the server running on 127.0.0.1:{port}, and are the \
                 host and port right?"
            )
        );
    }

    #[test]
    fn every_cause_is_named_with_its_target() {
        // No name is resolved here: a look-up could leave the loopback.
        let unknown = DialError::new(
            DialErrorKind::UnknownHost,
            "db.example",
            5432,
            io::Error::other("Name or service not known"),
        );
        assert!(unknown.is_definite());
        assert_eq!(
            unknown.to_string(),
            "unknown host `db.example`: the name does not resolve (Name or service not \
             known); check the host in the URL"
        );
        let no_route = io::Error::from(io::ErrorKind::HostUnreachable);
        assert_eq!(kind_of(&no_route), DialErrorKind::NoRoute);
        let text = DialError::new(kind_of(&no_route), "::1", 1, no_route).to_string();
        assert!(text.starts_with("no route to [::1]:1 ("), "{text}");
        let local = DialError::local("h", 1, io::Error::other("disk full"));
        assert!(!local.is_definite());
    }

    #[test]
    fn ipv6_targets_keep_their_brackets() {
        assert_eq!(host_port("::1", 5432), "[::1]:5432");
        assert_eq!(host_port("db.internal", 3306), "db.internal:3306");
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(explain_io(&refused, "[::1]:1").is_some_and(|t| {
            t.starts_with("connection refused: is the server running on [::1]:1")
        }));
        assert_eq!(explain_io(&io::Error::other("x"), "h:1"), None);
    }

    #[tokio::test]
    async fn the_check_ends_a_retrying_attempt_at_once_and_leaves_a_quick_one_alone() {
        let port = closed_port();
        let start = std::time::Instant::now();
        let forever = std::future::pending::<()>();
        let error = check_while("127.0.0.1", port, forever)
            .await
            .expect_err("refused");
        assert_eq!(error.kind(), DialErrorKind::Refused);
        assert!(start.elapsed() < Duration::from_secs(5));
        let quick = check_while("127.0.0.1", port, async { 7 }).await;
        assert_eq!(quick.ok(), Some(7));
    }
}
