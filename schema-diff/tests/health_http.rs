//! `schema_diff::health::http::router` (feature `http`) served by axum on
//! 127.0.0.1:0, asked a bounded number of times, on every backend: 200 ok, 200
//! (or 503 when asked) degraded, 503 error, with the public report as JSON:
//! status, versions and a stable error code, never the database's messages
//! (they go to the log).

mod health_support;

use std::time::Duration;

use std::sync::{Mutex, OnceLock};

use health_support::{exec, migrations, older_code, on_every_backend, unreachable, versions};
use schema_diff::health::http::{HttpOptions, router, router_with};
use schema_diff::health::{HealthErrorKind, PublicHealthReport};
use schema_diff::runner::{Runner, UpgradeTarget};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `app` on a free loopback port; returns the address and the server task.
async fn serve(app: axum::Router) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (addr, task)
}

/// The only fields a stranger may see.
const PUBLIC_FIELDS: &[&str] = &[
    "current",
    "error",
    "head",
    "last_applied_at",
    "pending",
    "status",
];

/// One `GET path` over HTTP/1.1: the status code and the body as a report,
/// after checking that the body has the public fields and no others.
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, PublicHealthReport) {
    let (status, body) = get_text(addr, path).await;
    let value: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let mut keys: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    assert_eq!(keys, PUBLIC_FIELDS, "{body}");
    let report = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, report)
}

/// One `GET path` over HTTP/1.1: the status code and the body.
async fn get_text(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        response
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("an answer within 10 s");
    let status: u16 = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {response}"));
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no body: {response}"));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    (status, body.to_owned())
}

/// Everything logged in this test process at `info` and above.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// A writer that appends to [`LOG`].
struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log so far, with the global subscriber installed on first use.
fn log_text() -> String {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
    });
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

#[test]
fn the_endpoint_answers_each_state() {
    on_every_backend("health_http", |s| {
        Box::pin(async move {
            let strict = HttpOptions {
                degraded_unavailable: true,
                ..HttpOptions::default()
            };
            let (addr, lenient_task) = serve(router(s.db.clone(), migrations)).await;
            let (strict_addr, strict_task) =
                serve(router_with(s.db.clone(), migrations, strict)).await;
            let (older_addr, older_task) = serve(router(s.db.clone(), older_code)).await;

            let (code, report) = get(addr, "/health").await;
            assert_eq!(
                (code, report.status.as_str()),
                (200, "degraded"),
                "{report:?}"
            );
            assert_eq!(report.pending.len(), 2);
            let (code, _) = get(strict_addr, "/health").await;
            assert_eq!(code, 503);

            Runner::new(migrations())
                .upgrade(&s.db, &UpgradeTarget::Head, |_| {})
                .await
                .expect("upgrade");
            let (code, report) = get(addr, "/health").await;
            assert_eq!((code, report.status.as_str()), (200, "ok"), "{report:?}");
            assert!(report.last_applied_at.is_some());
            let (code, _) = get(strict_addr, "/health").await;
            assert_eq!(code, 200);

            // The database has a migration this code does not know.
            let (code, report) = get(older_addr, "/health").await;
            assert_eq!((code, report.status.as_str()), (503, "error"), "{report:?}");
            assert_eq!(report.error, Some(HealthErrorKind::UnknownVersions));

            for task in [lenient_task, strict_task, older_task] {
                task.abort();
            }
        })
    });
}

#[test]
fn an_unreachable_database_answers_503() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let (addr, task) = serve(router(unreachable().await, migrations)).await;
        let (code, report) = get(addr, "/health").await;
        assert_eq!((code, report.status.as_str()), (503, "error"), "{report:?}");
        assert_eq!(
            report.error,
            Some(HealthErrorKind::Unreachable),
            "{report:?}"
        );
        let (_, body) = get_text(addr, "/health").await;
        for detail in ["NeverShown", "127.0.0.1", "refused", "postgres"] {
            assert!(!body.contains(detail), "`{detail}` in {body}");
        }
        task.abort();
    });
}

/// A migration that failed on a duplicate row: the stored error quotes the row's
/// value. The endpoint answers 503 `migration_failed` and nothing else; the log
/// has the details.
#[test]
fn the_endpoint_tells_strangers_nothing() {
    let _ = log_text();
    on_every_backend("health_http_private", |s| {
        Box::pin(async move {
            let (addr, task) = serve(router(s.db.clone(), migrations)).await;
            schema_diff::runner::Runner::new(migrations())
                .upgrade(&s.db, &UpgradeTarget::Head, |_| {})
                .await
                .expect("upgrade");
            let last = &versions()[1];
            let stored =
                "Duplicate entry ''ceo@corp.example'' for key ''users.email'' on db7.corp.internal";
            exec(
                s,
                &format!("DELETE FROM seaql_migrations WHERE version = '{last}'"),
            )
            .await;
            exec(
                s,
                &format!(
                    "UPDATE db_migrate_history SET state = 'failed', error = '{stored}' \
                     WHERE version = '{last}'"
                ),
            )
            .await;
            let (code, report) = get(addr, "/health").await;
            assert_eq!((code, report.status.as_str()), (503, "error"), "{report:?}");
            assert_eq!(report.error, Some(HealthErrorKind::MigrationFailed));
            assert_eq!(report.pending, std::slice::from_ref(last));
            let (_, body) = get_text(addr, "/health").await;
            for detail in [
                "ceo@corp.example",
                "Duplicate",
                "db7.corp.internal",
                "users.email",
            ] {
                assert!(!body.contains(detail), "`{detail}` in {body}");
            }
            let log = log_text();
            assert!(
                log.contains("health check failed") && log.contains("ceo@corp.example"),
                "the details go to the log: {log}"
            );
            task.abort();
        })
    });
}
