//! The admin API test harness: the router served in-process on a loopback port
//! over a scratch database, a client that keeps every answer, and the tokens.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Mutex;

use crate::backend::Scratch;
use db_migrate::admin::{AdminConfig, AdminState, Auth, Role, Tokens};
use sea_orm_migration::MigratorTrait;
use serde_json::Value;

pub const OPERATOR: &str = "operator-secret-token-0123456789";
pub const VIEWER: &str = "viewer-secret-token-0123456789";
pub const BAD: &str = "not-a-configured-token-00000000";
/// Put into PostgreSQL URLs (the test server trusts loopback, so any password works).
pub const PG_PASSWORD: &str = "pg-url-password-7f3a";

pub fn project() -> db_migrate::Project {
    db_migrate::Project {
        entities: entity::all_entities,
        migrations: migration::Migrator::migrations,
        migration_dir: "../migration/src".into(),
        default_sqlite_path: "unused.db".into(),
    }
}

pub fn versions() -> Vec<String> {
    migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// One in-process server over a scratch database.
pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    /// Every answer's body, for the secrets check.
    bodies: Mutex<Vec<String>>,
    _backups: tempfile::TempDir,
}

/// One answer.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

pub fn url_of(scratch: &Scratch) -> String {
    match scratch.url.strip_prefix("postgres://postgres@") {
        Some(rest) => format!("postgres://postgres:{PG_PASSWORD}@{rest}"),
        None => scratch.url.clone(),
    }
}

pub async fn start(scratch: &Scratch, max_failed_auth: u32, lock_timeout: u64) -> Server {
    let mut tokens = Tokens::new();
    tokens
        .add(OPERATOR, Role::Operator)
        .expect("operator token");
    tokens.add(VIEWER, Role::Viewer).expect("viewer token");
    let backups = tempfile::tempdir().expect("backup dir");
    let config = AdminConfig {
        database_url: Some(url_of(scratch)),
        max_failed_auth,
        lock_timeout: Some(lock_timeout),
        backup_dir: Some(backups.path().to_path_buf()),
        ..AdminConfig::new(Auth::Tokens(tokens))
    };
    let state = AdminState::new(project(), config).expect("admin state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let app = db_migrate::admin::router(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        base: format!("http://{address}"),
        client: reqwest::Client::new(),
        bodies: Mutex::new(Vec::new()),
        _backups: backups,
    }
}

impl Server {
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let url = format!("{}{path}", self.base);
        let mut request = match method {
            "GET" => self.client.get(&url),
            _ => self.client.post(&url),
        };
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        self.bodies.lock().unwrap().push(text.clone());
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
        Answer {
            status,
            headers,
            json,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Value {
        let answer = self.call("GET", path, Some(token), None).await;
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.json);
        answer.json
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call("POST", path, Some(token), Some(body)).await
    }

    /// No answer held a token or the database password.
    pub fn assert_no_secrets(&self) {
        let bodies = self.bodies.lock().unwrap();
        assert!(!bodies.is_empty());
        for body in bodies.iter() {
            for secret in [OPERATOR, VIEWER, BAD, PG_PASSWORD] {
                assert!(!body.contains(secret), "an answer shows a secret: {body}");
            }
        }
    }
}

pub fn error_code(answer: &Answer) -> &str {
    answer.json["error"]["code"].as_str().unwrap_or_default()
}
