//! The dashboard as the server serves it (no browser): the page and its embedded
//! files (content types, cache validators, a strict policy), and the drift
//! report fragment `GET /api/drift/report` on SQLite, PostgreSQL and MariaDB:
//! viewer-readable, escaped (a hostile table name arrives as text), without the
//! database password, and "equal" once the database matches the entities. The
//! dashboard in a real browser: `browser_dashboard.rs`.

mod admin_support;
#[allow(dead_code)]
#[path = "../../tests/src/backend.rs"]
mod backend;

use admin_support::{OPERATOR, PG_PASSWORD, VIEWER, start};
use backend::{Backend, Scratch};
use sea_orm::ConnectionTrait;
use serde_json::json;

/// A table name that would run script if it reached the page as HTML.
const HOSTILE: &str = "<img src=x onerror=alert(1)>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_its_assets() {
    let Some(scratch) = Scratch::new(Backend::Sqlite, "dash_assets").await else {
        return;
    };
    let server = start(&scratch, 1000, 10).await;
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{}/", server.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    for rule in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(rule), "{rule} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(page.headers().get("set-cookie").is_none());
    let html = page.text().await.expect("html");
    for asset in [
        "src=\"/assets/render.js\"",
        "src=\"/assets/dashboard.js\"",
        "href=\"/assets/dashboard.css\"",
        "href=\"/assets/report.css\"",
    ] {
        assert!(html.contains(asset), "{asset} in the page");
    }
    assert!(
        !html.contains("<style") && !html.contains("style="),
        "no inline style"
    );
    assert!(!html.contains("<script>"), "no inline script");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from elsewhere"
    );

    for (name, content_type, needle) in [
        (
            "dashboard.js",
            "text/javascript; charset=utf-8",
            "sessionStorage",
        ),
        ("render.js", "text/javascript; charset=utf-8", "textContent"),
        (
            "dashboard.css",
            "text/css; charset=utf-8",
            "prefers-color-scheme",
        ),
        ("report.css", "text/css; charset=utf-8", ".schema-report"),
    ] {
        let url = format!("{}/assets/{name}", server.base);
        let answer = client.get(&url).send().await.expect("asset");
        assert_eq!(answer.status(), 200, "{name}");
        let headers = answer.headers().clone();
        assert_eq!(headers["content-type"], content_type, "{name}");
        assert_eq!(headers["cache-control"], "no-cache", "{name}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{name}");
        let etag = headers["etag"].to_str().expect("etag").to_owned();
        let body = answer.text().await.expect("body");
        assert!(body.contains(needle), "{name} holds {needle}");
        let again = client
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("asset");
        assert_eq!(again.status(), 304, "{name} with its ETag");
        let stale = client
            .get(&url)
            .header("if-none-match", "\"stale\"")
            .send()
            .await
            .expect("asset");
        assert_eq!(stale.status(), 200, "{name} with another ETag");
    }
    let report_css = client
        .get(format!("{}/assets/report.css", server.base))
        .send()
        .await
        .expect("asset")
        .text()
        .await
        .expect("css");
    assert_eq!(report_css, schema_diff::report::STYLESHEET);
    let mut inner_html = 0;
    for name in ["dashboard.js", "render.js"] {
        let js = client
            .get(format!("{}/assets/{name}", server.base))
            .send()
            .await
            .expect("asset")
            .text()
            .await
            .expect("js");
        assert!(!js.contains("document.cookie") && !js.contains("localStorage"));
        assert!(!js.contains("eval(") && !js.contains("insertAdjacentHTML"));
        inner_html += js.matches(".innerHTML").count();
    }
    assert_eq!(inner_html, 1, "innerHTML only for the drift report");
    let missing = server.call("GET", "/assets/other.js", None, None).await;
    assert_eq!(missing.status, 404);
    scratch.cleanup().await;
}

/// The drift report fragment with a hostile table name in the database.
async fn drift_report(backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "dash_drift").await else {
        return;
    };
    let server = start(&scratch, 1000, 10).await;
    let fragment = |token: Option<&'static str>| {
        let mut request = server
            .client
            .get(format!("{}/api/drift/report", server.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(fragment(None).await.expect("report").status(), 401);

    let upgrade = server
        .post("/api/upgrade", OPERATOR, json!({ "target": "head" }))
        .await;
    assert_eq!(upgrade.status, 200, "{}", upgrade.json);
    let equal = fragment(Some(VIEWER)).await.expect("report");
    assert_eq!(equal.status(), 200);
    assert_eq!(equal.headers()["x-schema-equal"], "true");
    let text = equal.text().await.expect("html");
    assert!(text.contains("data-verdict=\"equal\""), "{text}");

    let quoted = match backend {
        Backend::MySql => format!("`{HOSTILE}`"),
        _ => format!("\"{HOSTILE}\""),
    };
    scratch
        .db
        .execute_unprepared(&format!(
            "CREATE TABLE {quoted} (id integer NOT NULL PRIMARY KEY)"
        ))
        .await
        .expect("hostile table");
    let answer = fragment(Some(VIEWER)).await.expect("report");
    assert_eq!(answer.status(), 200);
    let headers = answer.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/html")),
        "{headers:?}"
    );
    assert_eq!(headers["x-schema-equal"], "false");
    assert_eq!(headers["cache-control"], "no-store");
    let html = answer.text().await.expect("html");
    assert!(html.starts_with("<div class=\"schema-report\">"), "{html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the name arrives escaped: {html}"
    );
    assert!(
        !html.contains("<img"),
        "no markup from the database: {html}"
    );
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains(PG_PASSWORD), "no password: {html}");
    assert!(html.contains("data-status=\"removed\""), "{html}");
    server.assert_no_secrets();
    scratch.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_report_is_escaped_sqlite() {
    drift_report(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_report_is_escaped_postgres() {
    drift_report(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_report_is_escaped_mysql() {
    drift_report(Backend::MySql).await;
}
