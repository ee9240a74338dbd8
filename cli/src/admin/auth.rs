//! Who is calling: bearer tokens held as SHA-256 hashes and compared in constant
//! time, two roles, and a limit on failed attempts per client address.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::{AdminState, Auth};

/// The environment variable holding operator tokens (comma-separated).
pub const OPERATOR_TOKEN_VAR: &str = "DB_MIGRATE_OPERATOR_TOKEN";
/// The environment variable holding viewer tokens (comma-separated).
pub const VIEWER_TOKEN_VAR: &str = "DB_MIGRATE_VIEWER_TOKEN";
/// The shortest token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// What a caller may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything; runs nothing.
    Viewer,
    /// Also runs operations (upgrade, downgrade, backup) and their previews.
    Operator,
}

impl Role {
    /// `viewer` or `operator`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
        }
    }
}

/// An authenticated caller: put into each request's extensions by the token check,
/// or by an application's own middleware ([`Auth::Application`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Who, as the audit log records it: a token's label and fingerprint, or the
    /// application's user name. Never a token.
    pub actor: String,
    pub role: Role,
}

impl Caller {
    /// `Err(403)` unless the caller has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The configured bearer tokens, as SHA-256 hashes only.
#[derive(Default)]
pub struct Tokens {
    entries: Vec<Entry>,
}

struct Entry {
    hash: [u8; 32],
    role: Role,
    /// `operator-1 (sha256:1a2b3c4d)`: the role, the token's place in its
    /// variable, and the start of its hash.
    label: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let labels: Vec<&str> = self.entries.iter().map(|e| e.label.as_str()).collect();
        f.debug_struct("Tokens").field("labels", &labels).finish()
    }
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl Tokens {
    /// No tokens.
    pub fn new() -> Tokens {
        Tokens::default()
    }

    /// Adds `token` with `role`. Refused: shorter than [`MIN_TOKEN_LEN`], holding
    /// white space or control characters, or already added.
    pub fn add(&mut self, token: &str, role: Role) -> anyhow::Result<()> {
        let place = self.entries.iter().filter(|e| e.role == role).count() + 1;
        let what = format!("{} token #{place}", role.as_str());
        if token.chars().count() < MIN_TOKEN_LEN {
            anyhow::bail!(
                "the {what} is shorter than {MIN_TOKEN_LEN} characters: use a long random \
                 one, e.g. `openssl rand -hex 32`"
            );
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            anyhow::bail!("the {what} holds white space or control characters");
        }
        let hash = sha256(token);
        if self.entries.iter().any(|e| bool::from(e.hash.ct_eq(&hash))) {
            anyhow::bail!("the {what} is configured twice (each token has one role)");
        }
        // Any error message or log line that quotes it shows `***` instead.
        crate::redact::remember(token);
        let fingerprint: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
        self.entries.push(Entry {
            hash,
            role,
            label: format!("{}-{place} (sha256:{fingerprint})", role.as_str()),
        });
        Ok(())
    }

    /// The tokens of `DB_MIGRATE_OPERATOR_TOKEN` and `DB_MIGRATE_VIEWER_TOKEN`,
    /// each a comma-separated list (blank items are skipped).
    pub fn from_env() -> anyhow::Result<Tokens> {
        let mut tokens = Tokens::new();
        for (var, role) in [
            (OPERATOR_TOKEN_VAR, Role::Operator),
            (VIEWER_TOKEN_VAR, Role::Viewer),
        ] {
            let Some(value) = std::env::var_os(var) else {
                continue;
            };
            let value = value
                .into_string()
                .map_err(|_| anyhow::anyhow!("{var} is not valid UTF-8"))?;
            for token in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                tokens
                    .add(token, role)
                    .map_err(|e| anyhow::anyhow!("{var}: {e}"))?;
            }
        }
        Ok(tokens)
    }

    /// Whether no token is configured.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caller `presented` authenticates, comparing its hash with every
    /// configured hash in constant time (all of them, whichever matches).
    pub fn check(&self, presented: &str) -> Option<Caller> {
        let hash = sha256(presented);
        let mut found = None;
        for entry in &self.entries {
            if bool::from(entry.hash.ct_eq(&hash)) {
                found = Some(Caller {
                    actor: entry.label.clone(),
                    role: entry.role,
                });
            }
        }
        found
    }
}

/// Failed attempts per client address over the last minute; at the limit the
/// address gets 429 until its oldest failure is a minute old.
pub struct FailureLimiter {
    limit: usize,
    window: Duration,
    failures: Mutex<HashMap<Option<IpAddr>, VecDeque<Instant>>>,
}

/// Addresses remembered at most; beyond it, those with no recent failure go.
const MAX_ADDRESSES: usize = 10_000;

impl FailureLimiter {
    /// At most `limit` failures a minute per address.
    pub fn new(limit: u32) -> Self {
        FailureLimiter {
            limit: limit.max(1) as usize,
            window: Duration::from_secs(60),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `client` may try again, when it is over the limit.
    pub fn blocked(&self, client: Option<IpAddr>) -> Option<u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let times = failures.get_mut(&client)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() < self.limit {
            return None;
        }
        let oldest = times.front().copied().unwrap_or(now);
        Some(
            self.window
                .saturating_sub(now.duration_since(oldest))
                .as_secs()
                + 1,
        )
    }

    /// Counts a failed attempt of `client`.
    pub fn record(&self, client: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_ADDRESSES {
            let window = self.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = failures.entry(client).or_default();
        times.push_back(now);
        while times.len() > self.limit {
            times.pop_front();
        }
    }
}

/// The `Bearer` token of an `Authorization` header.
fn bearer(request: &Request) -> Option<&str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The middleware in front of `/api`: with [`Auth::Tokens`], checks the bearer
/// token (401 without a valid one, 429 past the failure limit) and puts the
/// [`Caller`] into the request; with [`Auth::Application`], requires that the
/// application's middleware put one there.
pub async fn authenticate(
    State(state): State<AdminState>,
    mut request: Request,
    next: Next,
) -> Response {
    let tokens = match &state.inner.auth {
        Auth::Application => {
            if request.extensions().get::<Caller>().is_none() {
                return ApiError::unauthorized().into_response();
            }
            return next.run(request).await;
        }
        Auth::Tokens(tokens) => tokens,
    };
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let shown_client = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let limiter = &state.inner.limiter;
    if let Some(wait) = limiter.blocked(client) {
        tracing::warn!(client = %shown_client, path = %request.uri().path(), "admin API: refused, too many failed token attempts");
        return ApiError::rate_limited(wait).into_response();
    }
    let caller = bearer(&request).and_then(|token| tokens.check(token));
    match caller {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => {
            limiter.record(client);
            let reason = if bearer(&request).is_some() {
                "unknown token"
            } else {
                "no bearer token"
            };
            // Never the token itself.
            tracing::warn!(client = %shown_client, path = %request.uri().path(), reason, "admin API: authentication failed");
            ApiError::unauthorized().into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_by_hash_with_their_role() {
        let mut tokens = Tokens::new();
        tokens
            .add("operator-token-0123456789", Role::Operator)
            .unwrap();
        tokens.add("viewer-token-0123456789", Role::Viewer).unwrap();
        let caller = tokens.check("viewer-token-0123456789").unwrap();
        assert_eq!(caller.role, Role::Viewer);
        assert!(caller.actor.starts_with("viewer-1 (sha256:"));
        assert!(!caller.actor.contains("viewer-token"));
        assert_eq!(
            tokens.check("operator-token-0123456789").unwrap().role,
            Role::Operator
        );
        assert!(tokens.check("operator-token-012345678").is_none());
        assert!(tokens.check("").is_none());
        assert!(tokens.add("short", Role::Viewer).is_err());
        assert!(
            tokens
                .add("viewer-token-0123456789", Role::Operator)
                .is_err()
        );
        assert!(tokens.add("has a space in it 0123", Role::Viewer).is_err());
        assert!(!format!("{tokens:?}").contains("token-0123"));
    }

    #[test]
    fn the_limiter_blocks_at_the_limit_per_address() {
        let limiter = FailureLimiter::new(2);
        let a = Some(IpAddr::from([127, 0, 0, 1]));
        let b = Some(IpAddr::from([127, 0, 0, 2]));
        limiter.record(a);
        assert_eq!(limiter.blocked(a), None);
        limiter.record(a);
        assert!(limiter.blocked(a).is_some_and(|s| (1..=61).contains(&s)));
        assert_eq!(limiter.blocked(b), None);
    }
}
