//! `schema_diff::health::http::router` (feature `http`) served by axum on
//! 127.0.0.1:0, asked a bounded number of times, on every backend: 200 ok, 200
//! (or 503 when asked) degraded, 503 error, with the report as JSON.

mod health_support;

use std::time::Duration;

use health_support::{migrations, older_code, on_every_backend, unreachable};
use schema_diff::health::HealthReport;
use schema_diff::health::http::{HttpOptions, router, router_with};
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

/// One `GET path` over HTTP/1.1: the status code and the body as a report.
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, HealthReport) {
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
    let report = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, report)
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
        assert!(!report.problems[0].contains("NeverShown"), "{report:?}");
        task.abort();
    });
}
