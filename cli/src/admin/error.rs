//! The API's errors: `{"error": {"code": "...", "message": "..."}}` with a stable
//! code, a status, and a message of this tool's own. The database's own messages
//! (which can quote stored values, host names or credentials) never reach a
//! response: they go to the server's log, redacted.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schema_diff::runner::RunError;
use serde_json::{Value, json};

use crate::redact::redact;

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// More structured facts (e.g. the preview of a refused downgrade).
    details: Option<Value>,
    /// Seconds a client should wait (429).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a stable code and a message (made safe to show).
    pub fn new(status: StatusCode, code: &'static str, message: impl AsRef<str>) -> Self {
        ApiError {
            status,
            code,
            message: shown(message.as_ref()),
            details: None,
            retry_after: None,
        }
    }

    /// Adds structured facts under `error.details` (keys of an object merge
    /// with those already there).
    pub fn with_details(mut self, details: Value) -> Self {
        let details = crate::redact::redact_json(&details);
        match (&mut self.details, details) {
            (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
            (slot, details) => *slot = Some(details),
        }
        self
    }

    /// No (or no valid) bearer token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token is required (Authorization: Bearer TOKEN)",
        )
    }

    /// A viewer asked for an operator's call.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this call needs the operator role",
        )
    }

    /// Too many failed attempts from this client.
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many failed token attempts from this address; try again later",
        );
        error.retry_after = Some(retry_after.max(1));
        error
    }

    /// A request the API cannot read.
    pub fn bad_request(message: impl AsRef<str>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// No such path (or operation).
    pub fn not_found(message: impl AsRef<str>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// Another operation is running.
    pub fn operation_in_progress(id: &str, kind: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "operation_in_progress",
            format!("operation {id} ({kind}) is running; wait for it to finish"),
        )
        .with_details(json!({ "operation_id": id }))
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message shown.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error for a failed step of `what` (e.g. `read the migration history`):
    /// the cause is logged (redacted) and answered by its kind only.
    pub fn from_anyhow(what: &str, error: &anyhow::Error) -> Self {
        tracing::warn!(error = %crate::output::error_line(error), "admin API: cannot {what}");
        if let Some(run) = error.chain().find_map(|c| c.downcast_ref::<RunError>()) {
            return Self::from_run(run);
        }
        if error
            .chain()
            .any(|c| c.downcast_ref::<sea_orm::DbErr>().is_some())
            || error.to_string().starts_with("cannot connect")
        {
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                format!(
                    "cannot {what}: the database did not answer as expected (see the server log)"
                ),
            );
        }
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("cannot {what} (see the server log)"),
        )
    }

    /// The answer for a runner error: its own text where it is this tool's own
    /// (targets, versions), a fixed text where it would quote the database.
    pub fn from_run(error: &RunError) -> Self {
        use StatusCode as S;
        match error {
            RunError::UnknownTarget { .. }
            | RunError::AmbiguousTarget { .. }
            | RunError::BadTarget(..) => Self::new(S::BAD_REQUEST, "bad_target", error.to_string()),
            RunError::UnknownApplied(_) => {
                Self::new(S::CONFLICT, "unknown_applied", error.to_string())
            }
            RunError::Dirty(_) => Self::new(
                S::CONFLICT,
                "dirty",
                "a migration is in an unknown state (started or failed outside a transaction); \
                 `db-migrate status` says which and how to resolve it",
            ),
            RunError::LockTimeout { .. } => Self::new(
                S::CONFLICT,
                "migration_locked",
                "another migration run holds the migration lock; try again when it has finished",
            ),
            RunError::LockLost { .. } => Self::new(
                S::INTERNAL_SERVER_ERROR,
                "lock_lost",
                "the migration lock was lost during the run; `db-migrate status` shows what \
                 stands (the server log has the details)",
            ),
            RunError::Migration { version, .. } => Self::new(
                S::INTERNAL_SERVER_ERROR,
                "migration_failed",
                format!(
                    "migration {version} failed and was rolled back: nothing of it is applied \
                     (the server log has the database's error)"
                ),
            ),
            RunError::PartlyApplied { version, .. } => Self::new(
                S::INTERNAL_SERVER_ERROR,
                "migration_failed_partly",
                format!(
                    "migration {version} failed outside a transaction: part of it may have run; \
                     `db-migrate status` says how to resolve it (the server log has the \
                     database's error)"
                ),
            ),
            RunError::Db(_) => Self::new(
                S::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database did not answer as expected (see the server log)",
            ),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(details) = &self.details {
            error["details"] = details.clone();
        }
        json!({ "error": error })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// `text` redacted, with control characters made visible.
fn shown(text: &str) -> String {
    schema_diff::display::visible(&redact(text)).into_owned()
}
