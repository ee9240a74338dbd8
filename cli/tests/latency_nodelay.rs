//! The `TCP_NODELAY` relay (`schema_diff::nodelay`) on PostgreSQL and MariaDB:
//! PostgreSQL connections that may use TLS and every MySQL TCP connection go
//! through it, keep their TLS and get `TCP_NODELAY` on the socket to the
//! server; plain PostgreSQL connections go straight to the server; and sqlx's
//! own sockets still lack `TCP_NODELAY` (the day this fails, sqlx sets it
//! itself and the relay can be removed).

#[path = "support/backends.rs"]
mod backends;

use std::str::FromStr;

use backends::{Backend, Scratch, runtime};
use schema_diff::nodelay;
use sea_orm::sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{ConnectOptions, Connection};

/// Whether the TCP socket of this process bound to local port `port` has
/// `TCP_NODELAY`; `None` when no socket of this process has that port.
fn nodelay_of_local_port(port: u16) -> Option<bool> {
    let entries = std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd");
    for entry in entries.flatten() {
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        // SAFETY: `address` and `length` are valid for writes of their sizes;
        // a descriptor that is not a socket only makes the call fail.
        let mut address: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut length = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let named =
            unsafe { libc::getsockname(fd, (&raw mut address).cast(), &raw mut length) } == 0;
        if !named {
            continue;
        }
        let local_port = match i32::from(address.ss_family) {
            // SAFETY: the family says which address type the storage holds.
            libc::AF_INET => unsafe {
                u16::from_be((*(&raw const address).cast::<libc::sockaddr_in>()).sin_port)
            },
            libc::AF_INET6 => unsafe {
                u16::from_be((*(&raw const address).cast::<libc::sockaddr_in6>()).sin6_port)
            },
            _ => continue,
        };
        if local_port != port {
            continue;
        }
        let mut value: libc::c_int = 0;
        let mut size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `size` are valid for writes of their sizes.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&raw mut value).cast(),
                &raw mut size,
            )
        };
        assert_eq!(rc, 0, "getsockopt(TCP_NODELAY) on fd {fd}");
        return Some(value != 0);
    }
    None
}

/// The scratch database's URL with `options` appended.
fn with_options(scratch: &Scratch, options: &str) -> String {
    format!("{}?{options}", scratch.url)
}

async fn pg_client_port(conn: &mut PgConnection) -> u16 {
    let port: i32 = sea_orm::sqlx::query_scalar("SELECT inet_client_port()")
        .fetch_one(conn)
        .await
        .expect("client port");
    u16::try_from(port).expect("port")
}

async fn pg_uses_tls(conn: &mut PgConnection) -> bool {
    sea_orm::sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(conn)
        .await
        .expect("pg_stat_ssl")
}

async fn mysql_client_port(conn: &mut MySqlConnection) -> u16 {
    let host: String = sea_orm::sqlx::query_scalar(
        "SELECT CAST(host AS CHAR) FROM information_schema.processlist WHERE id = CONNECTION_ID()",
    )
    .fetch_one(conn)
    .await
    .expect("client address");
    let (_, port) = host.rsplit_once(':').expect("host:port");
    port.parse().expect("port")
}

#[test]
fn postgres_tls_goes_through_the_relay_with_nodelay_and_stays_encrypted() {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::Postgres, "latency_pg")) else {
        return;
    };
    rt.block_on(async {
        let options = PgConnectOptions::from_str(&with_options(&scratch, "sslmode=require"))
            .expect("options");
        let relay = nodelay::for_postgres(&options)
            .await
            .expect("the server is reachable")
            .expect("a relay for a TLS URL");
        let mut conn = options
            .clone()
            .socket(relay.directory())
            .connect()
            .await
            .expect("connect through the relay");
        assert!(pg_uses_tls(&mut conn).await, "TLS through the relay");
        let port = pg_client_port(&mut conn).await;
        assert_eq!(nodelay_of_local_port(port), Some(true), "relay socket");
        conn.close().await.expect("close");

        // The certificate is still checked: the test server's is self-signed.
        let strict = PgConnectOptions::from_str(&with_options(&scratch, "sslmode=verify-full"))
            .expect("options");
        let relay = nodelay::for_postgres(&strict)
            .await
            .expect("reachable")
            .expect("relay");
        let refused = strict.clone().socket(relay.directory()).connect().await;
        let refused = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains("invalid peer certificate"), "{refused}");
        let direct = strict.connect().await;
        let direct = direct.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(refused, direct, "the same error without the relay");

        let plain = PgConnectOptions::from_str(&with_options(&scratch, "sslmode=disable"))
            .expect("options");
        assert!(
            nodelay::for_postgres(&plain)
                .await
                .is_ok_and(|relay| relay.is_none()),
            "no relay"
        );
        let mut conn = plain.connect().await.expect("plain connection");
        assert!(!pg_uses_tls(&mut conn).await);
        conn.close().await.expect("close");
    });
    rt.block_on(scratch.cleanup());
}

/// sqlx 0.9.0 does not set `TCP_NODELAY` (sqlx issue #4335). When this fails,
/// a newer sqlx does: remove `schema_diff::nodelay`, its callers and this test.
#[test]
fn sqlx_sockets_still_lack_nodelay_so_the_relay_is_needed() {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::Postgres, "latency_sqlx")) else {
        return;
    };
    rt.block_on(async {
        let options = PgConnectOptions::from_str(&with_options(&scratch, "sslmode=disable"))
            .expect("options");
        let mut conn = options.connect().await.expect("connect");
        let port = pg_client_port(&mut conn).await;
        assert_eq!(
            nodelay_of_local_port(port),
            Some(false),
            "sqlx now sets TCP_NODELAY on its own sockets: the relay is no longer needed"
        );
        conn.close().await.expect("close");
    });
    rt.block_on(scratch.cleanup());
}

#[test]
fn mysql_goes_through_the_relay_with_or_without_tls() {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::MySql, "latency_my")) else {
        return;
    };
    rt.block_on(async {
        for url in [
            scratch.url.clone(),
            with_options(&scratch, "ssl-mode=DISABLED"),
        ] {
            let options = MySqlConnectOptions::from_str(&url).expect("options");
            let relay = nodelay::for_mysql(&options)
                .await
                .expect("reachable")
                .expect("relay");
            let mut conn = options
                .clone()
                .socket(relay.socket())
                .connect()
                .await
                .expect("connect through the relay");
            let port = mysql_client_port(&mut conn).await;
            assert_eq!(nodelay_of_local_port(port), Some(true), "{url}");
            conn.close().await.expect("close");
        }

        let direct = MySqlConnectOptions::from_str(&scratch.url).expect("options");
        let mut conn = direct.connect().await.expect("direct connection");
        let port = mysql_client_port(&mut conn).await;
        assert_eq!(
            nodelay_of_local_port(port),
            Some(false),
            "sqlx now sets TCP_NODELAY on its own sockets: the relay is no longer needed"
        );
        conn.close().await.expect("close");
    });
    rt.block_on(scratch.cleanup());
}
