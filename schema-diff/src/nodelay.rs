//! `TCP_NODELAY` for the drivers' TCP connections, through a local relay.
//!
//! sqlx 0.9.0 no longer sets `TCP_NODELAY` on the TCP sockets it opens
//! ([sqlx issue #4335](https://github.com/transact-rs/sqlx/issues/4335), fixed
//! after 0.9.0), and it has no hook to set socket options. Its TLS handshake
//! writes twice in a row without waiting for an answer: the `ChangeCipherSpec`
//! record, then the second `ClientHello` after the server's `HelloRetryRequest`
//! (PostgreSQL's default `ssl_ecdh_curve` is P-256, rustls offers X25519 first),
//! and the client's `Finished`, then the first protocol message. Nagle's
//! algorithm holds each second write until the server acknowledges the first,
//! and the server delays that acknowledgement by about 40 ms: about 80 ms per
//! TLS connection. Plain PostgreSQL connections write once per exchange and do
//! not stall; MySQL connections stall once per statement, TLS or not (see
//! [`for_mysql`]).
//!
//! [`NodelayRelay`] moves the TCP connection into this process, where its options
//! can be set: the driver connects to a Unix socket in a private temporary
//! directory (Unix sockets have no Nagle algorithm), and the relay copies bytes
//! between it and a TCP connection it opened to the server with `TCP_NODELAY`.
//! TLS still runs between the driver and the server: the relay only ever sees
//! encrypted bytes, and the driver checks the certificate against the host name
//! of the URL as before (the driver keeps the host, only the socket changes).
//!
//! The relay dials the server when it starts and hands that connection to the
//! driver's first one, so a server that cannot be reached (refused, unknown
//! host, no route: see [`crate::reach`]) is known before the driver's pool
//! starts retrying, at no extra cost.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tokio::net::{TcpStream, UnixListener, UnixStream};
use tokio::task::JoinHandle;

use crate::reach::{self, DialError};

/// A Unix socket in a private directory whose connections are relayed to one
/// TCP server with `TCP_NODELAY` set. Dropping it stops accepting new
/// connections and removes the directory (relayed connections go on); see
/// [`NodelayRelay::detach`] for a relay that lives as long as the runtime.
#[derive(Debug)]
pub struct NodelayRelay {
    directory: PathBuf,
    socket: PathBuf,
    accepting: Option<JoinHandle<()>>,
}

impl NodelayRelay {
    /// Connects to `host:port` over TCP with `TCP_NODELAY` and listens on a new
    /// Unix socket named `socket_name` in a private temporary directory. The
    /// first connection to the socket is relayed to that TCP connection; later
    /// ones open their own, so the server is dialled once, as it would be
    /// without the relay. An error that [`DialError::is_definite`] means the
    /// server cannot be reached at all (refused, unknown host, no route): known
    /// here at once, where the driver's pool would retry a refusal until its
    /// timeout. After another error the caller may connect directly.
    pub async fn start(host: &str, port: u16, socket_name: &str) -> Result<Self, DialError> {
        let first = dial(host, port).await?;
        let local = |e| DialError::local(host, port, e);
        let directory = tempfile::Builder::new()
            .prefix("db-migrate-relay-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(local)?;
        if let Ok(mut live) = LIVE_DIRECTORIES.lock() {
            live.push(directory.path().to_path_buf());
        }
        let socket = directory.path().join(socket_name);
        let listener = UnixListener::bind(&socket).map_err(local)?;
        let directory_path = directory.path().to_path_buf();
        let host = host.to_string();
        let accepting = tokio::spawn(async move {
            // Owned by the task, so the directory goes when the task ends.
            let _directory = directory;
            let mut first = Some(first);
            loop {
                let client = match listener.accept().await {
                    Ok((client, _)) => client,
                    Err(e) => {
                        tracing::debug!(error = %e, "relay: accept failed");
                        break;
                    }
                };
                let upstream = first.take();
                let host = host.clone();
                tokio::spawn(relay(client, upstream, host, port));
            }
        });
        Ok(Self {
            directory: directory_path,
            socket,
            accepting: Some(accepting),
        })
    }

    /// The directory that holds the socket (PostgreSQL's `host`/`socket` option
    /// names a directory; the socket in it must be named `.s.PGSQL.<port>`).
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The socket itself (MySQL's `socket` option).
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Keeps the relay accepting until the async runtime shuts down, for a pool
    /// that may open connections at any time. The directory is removed when
    /// the runtime drops the task.
    pub fn detach(mut self) {
        self.accepting = None;
    }
}

impl Drop for NodelayRelay {
    fn drop(&mut self) {
        if let Some(task) = self.accepting.take() {
            task.abort();
        }
    }
}

/// The socket directories of the relays of this process: a process that
/// replaces itself (`exec`) drops nothing, so it removes them first with
/// [`remove_socket_directories`].
static LIVE_DIRECTORIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the socket directories of every relay of this process, for a process
/// about to replace itself with another program (`exec`), which would leave
/// them behind. Relays stop accepting connections; relayed ones go on.
pub fn remove_socket_directories() {
    let Ok(mut live) = LIVE_DIRECTORIES.lock() else {
        return;
    };
    for directory in live.drain(..) {
        if let Err(e) = std::fs::remove_dir_all(&directory) {
            tracing::debug!(error = %e, directory = %directory.display(), "relay: cannot remove");
        }
    }
}

/// A TCP connection to `host:port` with `TCP_NODELAY`, trying each address the
/// host resolves to, as the drivers do ([`reach::dial`]).
async fn dial(host: &str, port: u16) -> Result<TcpStream, DialError> {
    let stream = reach::dial(host, port).await?;
    stream
        .set_nodelay(true)
        .map_err(|e| DialError::local(host, port, e))?;
    Ok(stream)
}

/// Copies bytes both ways between a driver's connection and the server until
/// either side closes. A server that cannot be reached any more closes the
/// driver's connection, which the driver reports as a connection error.
async fn relay(mut client: UnixStream, upstream: Option<TcpStream>, host: String, port: u16) {
    let mut server = match upstream {
        Some(server) => server,
        None => match dial(&host, port).await {
            Ok(server) => server,
            Err(e) => {
                tracing::debug!(error = %e, "relay: cannot reach the server");
                return;
            }
        },
    };
    if let Err(e) = tokio::io::copy_bidirectional(&mut client, &mut server).await {
        tracing::debug!(error = %e, "relay: connection ended");
    }
}

/// The environment variable that turns the relay off (`0`, `off`, `false` or
/// `no`): connections then go straight from the driver to the server.
pub const RELAY_VARIABLE: &str = "DB_MIGRATE_NODELAY_RELAY";

/// Whether [`RELAY_VARIABLE`] allows the relay (the default).
pub fn relay_enabled() -> bool {
    relay_allowed_by(std::env::var(RELAY_VARIABLE).ok().as_deref())
}

/// Whether a value of [`RELAY_VARIABLE`] (`None`: not set) allows the relay.
fn relay_allowed_by(value: Option<&str>) -> bool {
    value.is_none_or(|value| {
        !matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "0" | "off" | "false" | "no"
        )
    })
}

/// A relay for the PostgreSQL server of `options` when the driver would open a
/// TCP connection that may negotiate TLS (`sslmode` other than `disable` and
/// `allow`, which sqlx treats as `disable`). `Ok(None)` for Unix sockets,
/// plain connections, when [`relay_enabled`] says no, and when the relay cannot
/// start for another reason than the server's (the driver then connects
/// directly). An error when the server cannot be reached at all
/// ([`DialError::is_definite`]). Connect with `options.socket(relay.directory())`.
pub async fn for_postgres(
    options: &sea_orm::sqlx::postgres::PgConnectOptions,
) -> Result<Option<NodelayRelay>, DialError> {
    use sea_orm::sqlx::postgres::PgSslMode;
    let plain = matches!(
        options.get_ssl_mode(),
        PgSslMode::Disable | PgSslMode::Allow
    );
    if plain || postgres_tcp_target(options).is_none() {
        return Ok(None);
    }
    let port = options.get_port();
    start_or_log(options.get_host(), port, &format!(".s.PGSQL.{port}")).await
}

/// The host and port the PostgreSQL driver dials for `options`; `None` when it
/// connects to a Unix socket.
pub fn postgres_tcp_target(
    options: &sea_orm::sqlx::postgres::PgConnectOptions,
) -> Option<(String, u16)> {
    if options.get_socket().is_some() || options.get_host().starts_with('/') {
        return None;
    }
    Some((options.get_host().to_owned(), options.get_port()))
}

/// The host and port the MySQL driver dials for `options`; `None` when it
/// connects to a Unix socket.
pub fn mysql_tcp_target(
    options: &sea_orm::sqlx::mysql::MySqlConnectOptions,
) -> Option<(String, u16)> {
    if options.get_socket().is_some() {
        return None;
    }
    Some((options.get_host().to_owned(), options.get_port()))
}

/// A relay for the MySQL or MariaDB server of `options` when the driver would
/// open a TCP connection, TLS or not: sqlx's MySQL driver follows each
/// `COM_STMT_EXECUTE` with a `COM_STMT_CLOSE`, which has no answer, and the
/// `COM_PING` that returns the connection to the pool then waits for the
/// server's delayed ACK of that close (about 40 ms per statement). `Ok(None)`
/// for Unix sockets and otherwise as [`for_postgres`]. Connect with
/// `options.socket(relay.socket())`.
pub async fn for_mysql(
    options: &sea_orm::sqlx::mysql::MySqlConnectOptions,
) -> Result<Option<NodelayRelay>, DialError> {
    let Some((host, port)) = mysql_tcp_target(options) else {
        return Ok(None);
    };
    start_or_log(&host, port, "mysql.sock").await
}

async fn start_or_log(
    host: &str,
    port: u16,
    socket_name: &str,
) -> Result<Option<NodelayRelay>, DialError> {
    if !relay_enabled() {
        return Ok(None);
    }
    match NodelayRelay::start(host, port, socket_name).await {
        Ok(relay) => Ok(Some(relay)),
        Err(e) if e.is_definite() => Err(e),
        Err(e) => {
            tracing::debug!(error = %e, "no TCP_NODELAY relay; connecting directly");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_turns_the_relay_off() {
        assert!(relay_allowed_by(None));
        assert!(relay_allowed_by(Some("1")));
        assert!(relay_allowed_by(Some("on")));
        for off in ["0", "off", "OFF", " false ", "no"] {
            assert!(!relay_allowed_by(Some(off)), "{off}");
        }
    }

    #[tokio::test]
    async fn an_unreachable_server_gets_no_relay_but_a_definite_error() {
        // A port nothing listens on: bound, then closed.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        let error = NodelayRelay::start("127.0.0.1", port, "s").await;
        assert_eq!(
            error.map(|_| ()).map_err(|e| e.kind()),
            Err(reach::DialErrorKind::Refused)
        );
        let url = format!("mysql://root@127.0.0.1:{port}/x");
        let options: sea_orm::sqlx::mysql::MySqlConnectOptions = url.parse().expect("url");
        let relay = for_mysql(&options).await;
        if relay_enabled() {
            assert!(relay.is_err_and(|e| e.is_definite()));
        }
    }

    #[tokio::test]
    async fn bytes_go_both_ways_and_the_directory_goes_with_the_relay() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let server = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = server.local_addr().expect("address").port();
        let echo = tokio::spawn(async move {
            for _ in 0..2 {
                let (mut socket, _) = server.accept().await.expect("accept");
                let mut buffer = [0u8; 5];
                socket.read_exact(&mut buffer).await.expect("read");
                socket.write_all(&buffer).await.expect("write");
            }
        });
        let relay = NodelayRelay::start("127.0.0.1", port, "sock")
            .await
            .expect("relay");
        let directory = relay.directory().to_path_buf();
        for _ in 0..2 {
            let mut client = UnixStream::connect(relay.socket()).await.expect("connect");
            client.write_all(b"hello").await.expect("write");
            let mut answer = [0u8; 5];
            client.read_exact(&mut answer).await.expect("read");
            assert_eq!(&answer, b"hello");
        }
        echo.await.expect("echo server");
        assert!(directory.exists());
        let mode = std::fs::metadata(&directory)
            .expect("directory")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        drop(relay);
        for _ in 0..100 {
            if !directory.exists() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(!directory.exists(), "{}", directory.display());

        // Before `exec`: a detached relay's directory goes too. (The only test
        // that calls this: it removes the directories of every relay.)
        let server = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = server.local_addr().expect("address").port();
        let relay = NodelayRelay::start("127.0.0.1", port, "sock")
            .await
            .expect("relay");
        let directory = relay.directory().to_path_buf();
        relay.detach();
        assert!(directory.exists());
        remove_socket_directories();
        assert!(!directory.exists(), "{}", directory.display());
    }
}
