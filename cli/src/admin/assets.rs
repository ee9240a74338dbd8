//! The dashboard's static files, embedded in the binary (nothing is loaded from
//! anywhere else): its scripts, its stylesheet and the visual schema diff's
//! stylesheet. Each is served with its content type and an `ETag`, and
//! `Cache-Control: no-cache`: a browser keeps it but asks again each time, so a
//! new binary's files are used at once.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
    etag: String,
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, body: &'static str) -> Asset {
        let digest = Sha256::digest(body.as_bytes());
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Asset {
            name,
            content_type,
            body,
            etag: format!("\"{hex}\""),
        }
    }
}

static ASSETS: LazyLock<[Asset; 4]> = LazyLock::new(|| {
    [
        Asset::new(
            "render.js",
            "text/javascript; charset=utf-8",
            include_str!("assets/render.js"),
        ),
        Asset::new(
            "dashboard.js",
            "text/javascript; charset=utf-8",
            include_str!("assets/dashboard.js"),
        ),
        Asset::new(
            "dashboard.css",
            "text/css; charset=utf-8",
            include_str!("assets/dashboard.css"),
        ),
        Asset::new(
            "report.css",
            "text/css; charset=utf-8",
            schema_diff::report::STYLESHEET,
        ),
    ]
});

/// `GET /assets/{name}`: an embedded file, 304 when the browser's copy is current,
/// 404 for any other name.
pub async fn asset(Path(name): Path<String>, request_headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return ApiError::not_found("no such asset").into_response();
    };
    let etag = HeaderValue::from_str(&asset.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let fresh = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == asset.etag));
    let headers = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (
        headers,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        )],
        asset.body,
    )
        .into_response()
}
