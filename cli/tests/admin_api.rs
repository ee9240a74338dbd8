//! The admin API (`db_migrate::admin`) served in-process on a loopback port, on
//! SQLite, PostgreSQL and MariaDB, each test with its own scratch database:
//! every endpoint × {no token, bad token, viewer, operator}, the JSON shapes, an
//! upgrade, backup and downgrade through the API seen in the history and the
//! audit log, 429 after repeated failures, error answers, and no token or
//! password in any answer. (One operation at a time: `admin_busy.rs`.)

mod admin_support;
#[allow(dead_code)]
#[path = "../../tests/src/backend.rs"]
mod backend;

use admin_support::{BAD, OPERATOR, Server, VIEWER, error_code, project, start, versions};
use backend::{Backend, Scratch};
use db_migrate::admin::{AdminConfig, AdminState, Auth, Caller, Role};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// The read calls, open to both roles.
const READS: [&str; 8] = [
    "/api/me",
    "/api/status",
    "/api/history",
    "/api/pending",
    "/api/drift",
    "/api/health",
    "/api/backups",
    "/api/audit?limit=5",
];

/// The operator's calls, with a body each takes.
fn operations() -> Vec<(&'static str, Value)> {
    vec![
        ("/api/upgrade/preview", json!({})),
        ("/api/downgrade/preview", json!({ "target": "base" })),
        ("/api/backup/preview", json!({})),
        ("/api/upgrade", json!({ "target": "head" })),
        ("/api/downgrade", json!({ "target": "base" })),
        ("/api/backup", json!({})),
    ]
}

/// Every call without a token and with a bad one is 401; a viewer reads but
/// gets 403 on every operation.
async fn check_roles(server: &Server) {
    for path in READS {
        for token in [None, Some(BAD)] {
            let answer = server.call("GET", path, token, None).await;
            assert_eq!(answer.status, 401, "GET {path} with {token:?}");
            assert_eq!(error_code(&answer), "unauthorized");
            assert_eq!(answer.headers["www-authenticate"], "Bearer");
            assert_eq!(answer.headers["cache-control"], "no-store");
        }
        for token in [VIEWER, OPERATOR] {
            let answer = server.call("GET", path, Some(token), None).await;
            assert_eq!(answer.status, 200, "GET {path}: {}", answer.json);
            assert_eq!(answer.headers["x-content-type-options"], "nosniff");
            assert!(answer.headers.get("set-cookie").is_none());
        }
    }
    for (path, body) in operations() {
        for token in [None, Some(BAD)] {
            let answer = server.call("POST", path, token, Some(body.clone())).await;
            assert_eq!(answer.status, 401, "POST {path} with {token:?}");
        }
        let answer = server.post(path, VIEWER, body.clone()).await;
        assert_eq!(answer.status, 403, "POST {path} as viewer: {}", answer.json);
        assert_eq!(error_code(&answer), "forbidden");
    }
    for token in [None, Some(BAD)] {
        let answer = server.call("GET", "/api/operations/1", token, None).await;
        assert_eq!(answer.status, 401, "GET /api/operations/1 with {token:?}");
    }
    for token in [VIEWER, OPERATOR] {
        let answer = server
            .call("GET", "/api/operations/1", Some(token), None)
            .await;
        assert_eq!(
            answer.status, 404,
            "no operation has run yet: {}",
            answer.json
        );
    }
    assert_eq!(server.get("/api/me", VIEWER).await["role"], "viewer");
    assert_eq!(server.get("/api/me", OPERATOR).await["role"], "operator");
}

async fn insert_user(scratch: &Scratch) {
    scratch
        .db
        .execute_unprepared(
            "INSERT INTO users (email, display_name, role) VALUES ('a@example.com', 'A', 'member')",
        )
        .await
        .expect("insert a user");
}

/// Everything through the API on one backend.
async fn every_endpoint(backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "admin_api").await else {
        return;
    };
    let server = start(&scratch, 1000, 10).await;
    before_anything(&server, &scratch).await;
    check_roles(&server).await;
    viewer_changed_nothing(&server).await;
    upgrade_through_the_api(&server).await;
    backup_and_downgrade(&server, &scratch).await;
    server.assert_no_secrets();
    scratch.cleanup().await;
}

/// Before anything: every migration pending, the reads' shapes.
async fn before_anything(server: &Server, scratch: &Scratch) {
    let backend = scratch.backend;
    let all = versions();
    let backend_name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
        Backend::MySql => "mysql",
    };
    let status = server.get("/api/status", VIEWER).await;
    assert_eq!(status["backend"], backend_name);
    assert_eq!(status["pending"], json!(all));
    assert_eq!(status["current"], Value::Null);
    assert_eq!(status["head"], json!(all.last()));
    assert_eq!(status["state"], "pending");
    assert_eq!(status["operation"], Value::Null);
    assert_eq!(
        status["data"],
        json!([]),
        "no data-migration step is running"
    );
    if backend == Backend::Postgres && scratch.url.starts_with("postgres://postgres@") {
        assert!(status["database"].as_str().unwrap().contains("***"));
    }
    let pending = server.get("/api/pending", VIEWER).await;
    assert_eq!(pending["backend"], backend_name);
    let listed = pending["migrations"].as_array().unwrap();
    assert_eq!(listed.len(), all.len());
    assert!(
        listed
            .iter()
            .all(|m| !m["statements"].as_array().unwrap().is_empty())
    );
    assert!(listed.iter().all(|m| m["hazards"].is_array()));
    let health = server.get("/api/health", VIEWER).await;
    assert_eq!(health["status"], "degraded");
    assert!(health.get("problems").is_none());
    let drift = server.get("/api/drift", VIEWER).await;
    assert_eq!(drift["equal"], false);
    assert!(!drift["changes"].as_array().unwrap().is_empty());
    assert_eq!(
        drift["summary"].as_array().unwrap().len(),
        drift["changes"].as_array().unwrap().len()
    );
}

/// The viewer changed nothing, and its attempts are in the audit log.
async fn viewer_changed_nothing(server: &Server) {
    let all = versions();
    assert_eq!(
        server.get("/api/status", OPERATOR).await["pending"],
        json!(all)
    );
    let audit = server.get("/api/audit?limit=100", VIEWER).await;
    let entries = audit["entries"].as_array().unwrap();
    let denied: Vec<&Value> = entries.iter().filter(|e| e["result"] == "denied").collect();
    assert_eq!(
        denied.len(),
        3,
        "upgrade, downgrade and backup denied: {audit}"
    );
    assert!(denied.iter().all(|e| {
        e["role"] == "viewer"
            && e["actor"]
                .as_str()
                .unwrap()
                .starts_with("viewer-1 (sha256:")
    }));
}

/// Upgrade: preview, then the real thing, seen in status, history, audit and drift.
async fn upgrade_through_the_api(server: &Server) {
    let all = versions();
    let preview = server
        .post("/api/upgrade/preview", OPERATOR, json!({}))
        .await;
    assert_eq!(preview.status, 200, "{}", preview.json);
    assert_eq!(
        preview.json["migrations"].as_array().unwrap().len(),
        all.len()
    );
    let upgrade = server.post("/api/upgrade", OPERATOR, json!({})).await;
    assert_eq!(upgrade.status, 200, "{}", upgrade.json);
    assert_eq!(upgrade.json["applied"], json!(all));
    assert_eq!(upgrade.json["result"], "ok");
    let id = upgrade.json["operation_id"].as_str().unwrap().to_owned();
    let operation = server.get(&format!("/api/operations/{id}"), VIEWER).await;
    assert_eq!(operation["state"], "succeeded");
    assert_eq!(operation["kind"], "upgrade");
    assert_eq!(operation["progress"]["done"], all.len());
    let status = server.get("/api/status", VIEWER).await;
    assert_eq!(status["pending"], json!([]));
    assert_eq!(status["state"], "ok");
    assert_eq!(status["applied"], all.len());
    assert_eq!(status["current"], json!(all.last()));
    let history = server.get("/api/history", VIEWER).await;
    for row in history["migrations"].as_array().unwrap() {
        assert_eq!(row["state"], "applied", "{row}");
        assert!(row["applied_at"].is_string());
        assert!(row["checksum"].is_string());
        assert!(row["duration_ms"].is_number());
        assert!(
            row["applied_by"]
                .as_str()
                .unwrap()
                .starts_with("operator-1 (sha256:")
        );
    }
    let newest = &server.get("/api/audit?limit=1", VIEWER).await["entries"][0];
    assert_eq!(newest["action"], "upgrade");
    assert_eq!(newest["result"], "ok");
    assert_eq!(newest["role"], "operator");
    assert_eq!(newest["target"], "head");
    assert_eq!(newest["detail"]["applied"], json!(all));
    // The entities and the database agree; the audit table is not drift.
    let drift = server.get("/api/drift", VIEWER).await;
    assert_eq!(drift["equal"], true, "{drift}");
    assert_eq!(server.get("/api/health", VIEWER).await["status"], "ok");
}

/// A row, a backup of it, and a rollback that would lose it.
async fn backup_and_downgrade(server: &Server, scratch: &Scratch) {
    let all = versions();
    insert_user(scratch).await;
    let preview = server
        .post("/api/backup/preview", OPERATOR, json!({}))
        .await;
    assert_eq!(preview.status, 200, "{}", preview.json);
    assert!(
        preview.json["tables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "users" && t["rows"] == 1)
    );
    let backup = server.post("/api/backup", OPERATOR, json!({})).await;
    assert_eq!(backup.status, 200, "{}", backup.json);
    assert_eq!(
        backup.json["manifest"]["migration_version"],
        json!(all.last())
    );
    let listed = server.get("/api/backups", VIEWER).await;
    let backups = listed["backups"].as_array().unwrap();
    assert_eq!(backups.len(), 1, "{listed}");
    assert_eq!(backups[0]["file_present"], true);
    assert_eq!(backups[0]["this_database"], true);
    assert_eq!(backups[0]["sha256"], backup.json["manifest"]["sha256"]);

    let preview = server
        .post(
            "/api/downgrade/preview",
            OPERATOR,
            json!({ "target": "base" }),
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.json);
    assert_eq!(preview.json["loses_data"], true);
    assert!(
        preview.json["rows_at_risk"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["table"] == "users" && l["rows"] == 1)
    );
    let refused = server
        .post("/api/downgrade", OPERATOR, json!({ "target": "base" }))
        .await;
    assert_eq!(refused.status, 409, "{}", refused.json);
    assert_eq!(error_code(&refused), "data_loss");
    assert!(refused.json["error"]["details"]["rows_at_risk"].is_array());
    assert_eq!(
        server.get("/api/status", VIEWER).await["applied"],
        all.len()
    );
    let newest = &server.get("/api/audit?limit=1", VIEWER).await["entries"][0];
    assert_eq!(
        (newest["action"].as_str(), newest["result"].as_str()),
        (Some("downgrade"), Some("refused"))
    );
    let missing = server.post("/api/downgrade", OPERATOR, json!({})).await;
    assert_eq!((missing.status, error_code(&missing)), (400, "bad_request"));
    let unknown = server
        .post("/api/upgrade", OPERATOR, json!({ "target": "m1999" }))
        .await;
    assert_eq!((unknown.status, error_code(&unknown)), (400, "bad_target"));

    let rollback = server
        .post(
            "/api/downgrade",
            OPERATOR,
            json!({ "target": "base", "allow_data_loss": true }),
        )
        .await;
    assert_eq!(rollback.status, 200, "{}", rollback.json);
    let mut newest_first = all.clone();
    newest_first.reverse();
    assert_eq!(rollback.json["rolled_back"], json!(newest_first));
    assert_eq!(
        server.get("/api/status", VIEWER).await["pending"],
        json!(all)
    );
    let history = server.get("/api/history", VIEWER).await;
    assert!(
        history["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "pending" && r["applied_by"].is_null())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_and_role_sqlite() {
    every_endpoint(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_and_role_postgres() {
    every_endpoint(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_and_role_mysql() {
    every_endpoint(Backend::MySql).await;
}

/// After `limit` failed attempts an address gets 429, even with a good token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_rate_limited() {
    let Some(scratch) = Scratch::new(Backend::Sqlite, "admin_limit").await else {
        return;
    };
    let server = start(&scratch, 3, 10).await;
    assert_eq!(
        server
            .call("GET", "/api/me", Some(OPERATOR), None)
            .await
            .status,
        200
    );
    for _ in 0..3 {
        assert_eq!(
            server
                .call("GET", "/api/status", Some(BAD), None)
                .await
                .status,
            401
        );
    }
    for token in [Some(BAD), Some(OPERATOR), None] {
        let answer = server.call("GET", "/api/status", token, None).await;
        assert_eq!(answer.status, 429, "{}", answer.json);
        assert_eq!(error_code(&answer), "rate_limited");
        let wait: u64 = answer.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=61).contains(&wait));
    }
    server.assert_no_secrets();
    scratch.cleanup().await;
}

/// Unknown paths and methods, bad bodies and queries answer the error format;
/// the page at `/` needs no token and carries a strict CSP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_and_the_page() {
    let Some(scratch) = Scratch::new(Backend::Sqlite, "admin_errors").await else {
        return;
    };
    let server = start(&scratch, 1000, 10).await;
    let missing = server.call("GET", "/api/nothing", Some(VIEWER), None).await;
    assert_eq!((missing.status, error_code(&missing)), (404, "not_found"));
    let method = server
        .call("POST", "/api/status", Some(OPERATOR), Some(json!({})))
        .await;
    assert_eq!(
        (method.status, error_code(&method)),
        (405, "method_not_allowed")
    );
    let body = server
        .post("/api/upgrade", OPERATOR, json!({ "target": 1 }))
        .await;
    assert_eq!((body.status, error_code(&body)), (400, "bad_request"));
    let extra = server
        .post("/api/upgrade", OPERATOR, json!({ "force": true }))
        .await;
    assert_eq!((extra.status, error_code(&extra)), (400, "bad_request"));
    let limit = server
        .call("GET", "/api/audit?limit=0", Some(VIEWER), None)
        .await;
    assert_eq!((limit.status, error_code(&limit)), (400, "bad_request"));
    let no_op = server
        .call("GET", "/api/operations/999", Some(VIEWER), None)
        .await;
    assert_eq!((no_op.status, error_code(&no_op)), (404, "not_found"));
    assert_eq!(
        server.get("/api/status", VIEWER).await["pending"],
        json!(versions())
    );

    let page = reqwest::get(format!("{}/", server.base))
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.expect("html");
    assert!(html.contains("href=\"/api/status\""), "{html}");
    server.assert_no_secrets();
    scratch.cleanup().await;
}

/// The application's own authentication, as docs/admin.md shows it: a header
/// its login proxy sets names the user; `x-app-role: operator` makes an operator.
async fn app_auth(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let caller = {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        header("x-app-user").map(|user| Caller {
            actor: user,
            role: match header("x-app-role").as_deref() {
                Some("operator") => Role::Operator,
                _ => Role::Viewer,
            },
        })
    };
    if let Some(caller) = caller {
        request.extensions_mut().insert(caller);
    }
    next.run(request).await
}

/// The router nested under an application's path, behind the application's
/// own authentication (`Auth::Application`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_mounts_under_an_application_path() {
    let Some(scratch) = Scratch::new(Backend::Sqlite, "admin_mount").await else {
        return;
    };
    let config = AdminConfig {
        database_url: Some(scratch.url.clone()),
        ..AdminConfig::new(Auth::Application)
    };
    let state = AdminState::new(project(), config).expect("admin state");
    let app: axum::Router = axum::Router::new()
        .nest("/ops/migrations", db_migrate::admin::router(state))
        .layer(axum::middleware::from_fn(app_auth));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!(
        "http://{}/ops/migrations",
        listener.local_addr().expect("address")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let get = |user: Option<&'static str>| {
        let mut request = client.get(format!("{base}/api/status"));
        if let Some(user) = user {
            request = request.header("x-app-user", user);
        }
        request.send()
    };
    assert_eq!(get(None).await.expect("status").status(), 401);
    let status: Value = get(Some("alice"))
        .await
        .expect("status")
        .json()
        .await
        .expect("JSON");
    assert_eq!(status["pending"], json!(versions()));
    let upgrade = |role: &'static str| {
        client
            .post(format!("{base}/api/upgrade"))
            .header("x-app-user", "alice")
            .header("x-app-role", role)
            .send()
    };
    assert_eq!(upgrade("viewer").await.expect("upgrade").status(), 403);
    let applied: Value = upgrade("operator")
        .await
        .expect("upgrade")
        .json()
        .await
        .expect("JSON");
    assert_eq!(applied["applied"], json!(versions()), "{applied}");
    let audit: Value = client
        .get(format!("{base}/api/audit"))
        .header("x-app-user", "bob")
        .send()
        .await
        .expect("audit")
        .json()
        .await
        .expect("JSON");
    assert_eq!(audit["entries"][0]["actor"], "alice");
    assert_eq!(audit["entries"][0]["result"], "ok");
    let page = client
        .get(&base)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("href=\"/ops/migrations/api/status\""),
        "{page}"
    );
    scratch.cleanup().await;
}
