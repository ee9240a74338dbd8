//! The dashboard page, the headers every answer carries, and the answers for
//! unknown paths and methods.

use axum::extract::rejection::NestedPathRejection;
use axum::extract::{NestedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::error::ApiError;
use super::{AdminState, Auth};

/// The page at `GET /`: the dashboard's frame. It holds no data, so it needs no
/// token; its script (`/assets/dashboard.js`) asks for one and fills the
/// sections from the API. `{base}` is the path the router is mounted at.
const INDEX: &str = include_str!("assets/index.html");

/// `GET /`, with links under the path the router is mounted at, and which
/// authentication the API expects (`tokens`: the page asks for one;
/// `application`: the application's own, the page asks for nothing).
pub async fn index(
    State(state): State<AdminState>,
    nested: Result<NestedPath, NestedPathRejection>,
) -> Html<String> {
    let base = nested
        .map(|n| n.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let auth = match state.inner.auth {
        Auth::Tokens(_) => "tokens",
        Auth::Application => "application",
    };
    Html(
        INDEX
            .replace("{base}", &html_escaped(&base))
            .replace("{auth}", auth),
    )
}

/// `text` safe inside HTML text and attribute values.
fn html_escaped(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// Any other path.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such path")
}

/// A known path with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not take this method",
    )
}

/// The headers of every answer: nothing cached (but the embedded assets, which
/// set their own), no content sniffing, no framing, no referrer, and on HTML a
/// policy that allows no script, style or frame from anywhere else (and no
/// inline script or style).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        );
    }
    response.into_response()
}
