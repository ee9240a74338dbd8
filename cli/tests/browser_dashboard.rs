//! The dashboard in a real browser (headless Chromium), served in-process over a
//! scratch database on SQLite, PostgreSQL and MariaDB (one browser for the
//! file, the backends one after another): a wrong token stays on the sign-in
//! form with a message; a viewer sees current vs head and the pending migration
//! with its SQL and no operation button; an operator opens "Upgrade to head",
//! sees the preview with the SQL, confirms, and the page updates (nothing
//! pending, current == head, the version in the history, the upgrade by the
//! operator in the audit log); after a hand-made change to the database the
//! drift section shows the coloured report (light and dark), a table named as
//! markup in it as text; a downgrade that
//! loses a row needs the consent box. Mounted under an application's path behind
//! its own authentication, the page asks for no token. Repeated wrong tokens
//! show the rate limit. With
//! `UPDATE_SCREENSHOTS=1` (on SQLite) the overview and the confirmation are
//! saved under `docs/images/`.

mod admin_support;
#[allow(dead_code)]
#[path = "../../tests/src/backend.rs"]
mod backend;

use std::time::{Duration, Instant};

use admin_support::{BAD, OPERATOR, Server, VIEWER, project, start, versions};
use backend::{Backend, Scratch};
use db_migrate::admin::{AdminConfig, AdminState, Auth, Caller, Role};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::browser::{Browser, colour_is};

const WIDTH: u32 = 1366;
/// A table name that would run script if the page took it as HTML.
const HOSTILE: &str = "<img src=x onerror=window.pwned=1>";
const HEIGHT: u32 = 900;

/// Waits (up to 60 s) until the JavaScript expression `condition` is true.
async fn wait_for(browser: &Browser, condition: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let value = browser
            .execute(&format!("return Boolean({condition});"))
            .await
            .unwrap_or(Value::Bool(false));
        if value == Value::Bool(true) {
            return;
        }
        if Instant::now() > deadline {
            let banner = browser
                .execute("return document.body.innerText;")
                .await
                .unwrap_or_default();
            panic!("timed out waiting for {what} ({condition}); the page says:\n{banner}");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn js(browser: &Browser, expression: &str) -> Value {
    browser
        .execute(&format!("return {expression};"))
        .await
        .unwrap_or_else(|e| panic!("{expression}: {e:#}"))
}

async fn sign_in(browser: &Browser, base: &str, token: &str) {
    browser.goto(&format!("{base}/")).await.expect("open");
    wait_for(
        browser,
        "!document.querySelector('#sign-in').hidden",
        "the sign-in form",
    )
    .await;
    browser
        .find("#token")
        .await
        .expect("token input")
        .send_keys(token)
        .await
        .expect("type the token");
    browser
        .click("#sign-in-form button[type=submit]")
        .await
        .expect("sign in");
}

/// Signs in and waits for every section to be filled.
async fn sign_in_ok(browser: &Browser, base: &str, token: &str) {
    sign_in(browser, base, token).await;
    wait_for(
        browser,
        "!document.querySelector('#dashboard').hidden && document.body.dataset.refreshed",
        "the dashboard",
    )
    .await;
    let banner = js(browser, "document.querySelector('#banner').hidden").await;
    assert_eq!(
        banner,
        json!(true),
        "no section failed: {}",
        js(browser, "document.querySelector('#banner').textContent").await
    );
}

/// Clicks "Refresh" and waits until every section is reloaded.
async fn refresh(browser: &Browser) {
    let before = js(browser, "Number(document.body.dataset.refreshed || 0)").await;
    browser.click("#refresh").await.expect("refresh");
    wait_for(
        browser,
        &format!("Number(document.body.dataset.refreshed || 0) > {before}"),
        "the sections to reload",
    )
    .await;
}

async fn field(browser: &Browser, name: &str) -> String {
    browser
        .text(&format!("#overview [data-field=\"{name}\"]"))
        .await
        .expect("overview field")
}

fn screenshots() -> bool {
    std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1")
}

async fn save(browser: &Browser, name: &str, full_page: bool) {
    let png = if full_page {
        browser.screenshot_page(WIDTH, 2200).await
    } else {
        browser.client().screenshot().await.map_err(Into::into)
    }
    .expect("screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/images")
        .join(name);
    std::fs::write(&target, &png).expect("write the screenshot");
    eprintln!("wrote {}", target.display());
}

/// (4) A wrong token: an error, still on the form, nothing kept.
async fn wrong_token(browser: &Browser, base: &str) {
    sign_in(browser, base, BAD).await;
    wait_for(
        browser,
        "!document.querySelector('#sign-in-error').hidden",
        "the sign-in error",
    )
    .await;
    let error = browser.text("#sign-in-error").await.expect("error");
    assert!(error.contains("not accepted"), "{error}");
    assert_eq!(
        js(browser, "document.querySelector('#dashboard').hidden").await,
        json!(true)
    );
    assert_eq!(
        js(browser, "document.querySelector('#sign-in').hidden").await,
        json!(false)
    );
    assert_eq!(js(browser, "sessionStorage.length").await, json!(0));
}

/// (1) A viewer: current vs head, the pending migration with its SQL, no buttons.
async fn viewer(browser: &Browser, base: &str, head: &str) {
    sign_in_ok(browser, base, VIEWER).await;
    assert_eq!(browser.text("#who-role").await.expect("role"), "viewer");
    assert_eq!(field(browser, "head").await, head);
    assert!(field(browser, "current").await.starts_with("none"));
    let sql = browser
        .text(&format!(
            "#pending article[data-version=\"{head}\"] pre.sql"
        ))
        .await
        .expect("the pending migration's SQL");
    assert!(sql.contains("CREATE TABLE"), "{sql}");
    assert!(
        browser
            .find(&format!("#pending article[data-version=\"{head}\"] .hazards, #pending article[data-version=\"{head}\"] p"))
            .await
            .is_ok(),
        "the hazards (or their absence) are shown"
    );
    assert_eq!(
        js(
            browser,
            "document.querySelectorAll('button[data-action]').length"
        )
        .await,
        json!(0),
        "a viewer has no operation button"
    );
    assert_eq!(
        js(browser, "document.querySelector('#actions').hidden").await,
        json!(true)
    );
    // The token is in this tab's sessionStorage only: no cookie, not in the URL.
    assert_eq!(js(browser, "document.cookie").await, json!(""));
    assert_eq!(js(browser, "sessionStorage.length").await, json!(1));
    let url = js(browser, "location.href").await;
    assert!(!url.to_string().contains(VIEWER), "{url}");
    browser.click("#sign-out").await.expect("sign out");
    wait_for(
        browser,
        "!document.querySelector('#sign-in').hidden",
        "the sign-in form",
    )
    .await;
    assert_eq!(js(browser, "sessionStorage.length").await, json!(0));
}

/// (2) An operator upgrades through the confirmation; the page updates.
async fn operator_upgrades(browser: &Browser, base: &str, head: &str, shots: bool) {
    sign_in_ok(browser, base, OPERATOR).await;
    assert_eq!(browser.text("#who-role").await.expect("role"), "operator");
    browser
        .click("button[data-action=\"upgrade\"]")
        .await
        .expect("Upgrade to head");
    wait_for(
        browser,
        "document.querySelector('#confirm').dataset.phase === 'ready'",
        "the preview",
    )
    .await;
    let preview = browser
        .text(&format!(
            "#confirm-body article[data-version=\"{head}\"] pre.sql"
        ))
        .await
        .expect("the preview's SQL");
    assert!(preview.contains("CREATE TABLE"), "{preview}");
    let summary = browser
        .text("#confirm-body .summary")
        .await
        .expect("summary");
    assert!(summary.contains("1 migration will be applied"), "{summary}");
    if shots {
        save(browser, "dashboard-upgrade-confirm.png", false).await;
    }
    browser.click("#confirm-ok").await.expect("confirm");
    wait_for(
        browser,
        "['done', 'failed'].includes(document.querySelector('#confirm').dataset.phase)",
        "the upgrade",
    )
    .await;
    let result = browser.text("#confirm-status").await.expect("result");
    assert_eq!(
        js(browser, "document.querySelector('#confirm').dataset.phase").await,
        json!("done"),
        "{result}"
    );
    assert!(result.contains(head), "{result}");
    browser.click("#confirm-close").await.expect("close");
    wait_for(
        browser,
        "document.querySelector('#pending .empty') !== null",
        "the pending list to empty",
    )
    .await;
    assert_eq!(field(browser, "current").await, head);
    assert_eq!(field(browser, "head").await, head);
    let row = format!("#history li[data-version=\"{head}\"][data-state=\"applied\"]");
    let by = browser
        .text(&format!("{row} .applied-by"))
        .await
        .expect("the history row");
    assert!(by.contains("operator"), "{by}");
    assert!(browser.find(&format!("{row} .bar .fill")).await.is_ok());
    let actor = browser
        .text("#audit tr[data-action=\"upgrade\"][data-result=\"ok\"] td.actor")
        .await
        .expect("the audit entry");
    assert!(actor.contains("operator"), "{actor}");
}

/// (3) A hand-made change shows as the coloured report.
async fn drift(browser: &Browser, scratch: &Scratch) {
    let drop_column = "ALTER TABLE users DROP COLUMN bio";
    let add_table = "CREATE TABLE audit_trail (id integer NOT NULL PRIMARY KEY, \
                     actor varchar(40) NOT NULL)";
    for sql in [drop_column, add_table] {
        scratch.db.execute_unprepared(sql).await.expect("drift");
    }
    // A table whose name is markup (not on SQLite, whose page is the screenshot).
    let hostile = scratch.backend != Backend::Sqlite;
    if hostile {
        let quoted = match scratch.backend {
            Backend::MySql => format!("`{HOSTILE}`"),
            _ => format!("\"{HOSTILE}\""),
        };
        let sql = format!("CREATE TABLE {quoted} (id integer NOT NULL PRIMARY KEY)");
        scratch
            .db
            .execute_unprepared(&sql)
            .await
            .expect("hostile table");
    }
    refresh(browser).await;
    wait_for(
        browser,
        "document.querySelector('#drift .schema-report section[data-table=\"audit_trail\"]') !== null",
        "the drift report",
    )
    .await;
    for (selector, channel) in [
        (
            "#drift tr[data-column=\"bio\"][data-status=\"added\"] td",
            'g',
        ),
        (
            "#drift section[data-table=\"audit_trail\"][data-status=\"removed\"] tbody tr td",
            'r',
        ),
    ] {
        let colour = browser
            .css(selector, "background-color")
            .await
            .expect("colour");
        assert!(colour_is(&colour, channel), "{selector}: {colour}");
    }
    assert_eq!(
        browser.text("#drift-verdict").await.expect("verdict"),
        "drift"
    );
    if hostile {
        // The name arrives as text: no element was made of it, no script ran.
        let shown = js(
            browser,
            "Array.from(document.querySelectorAll('#drift .sr-table h2 code')).map(c => c.textContent)",
        )
        .await;
        assert!(
            shown
                .as_array()
                .is_some_and(|names| names.iter().any(|n| n == HOSTILE)),
            "{shown}"
        );
        assert_eq!(
            js(browser, "document.querySelectorAll('#drift img').length").await,
            json!(0)
        );
        assert_eq!(js(browser, "window.pwned === undefined").await, json!(true));
    }

    // Dark mode: the page follows prefers-color-scheme; rows keep their colours.
    browser
        .emulate_colour_scheme(true)
        .await
        .expect("dark mode");
    let page = browser
        .css("body", "background-color")
        .await
        .expect("colour");
    assert!(colour_is(&page, 'd'), "dark page: {page}");
    let added = browser
        .css("#drift tr[data-column=\"bio\"] td", "background-color")
        .await
        .expect("colour");
    assert!(colour_is(&added, 'g'), "dark added row: {added}");
    browser
        .emulate_colour_scheme(false)
        .await
        .expect("light mode");
}

/// A downgrade that loses rows: the data-loss preview, Confirm disabled until
/// the consent box is ticked, then the database back at base.
async fn downgrade_with_data_loss(browser: &Browser, scratch: &Scratch) {
    scratch
        .db
        .execute_unprepared(
            "INSERT INTO users (email, display_name, role) VALUES ('a@example.com', 'A', 'member')",
        )
        .await
        .expect("a user row");
    refresh(browser).await;
    wait_for(
        browser,
        "document.querySelector('#downgrade-target option[value=\"base\"]') !== null",
        "the downgrade targets",
    )
    .await;
    browser
        .click("button[data-action=\"downgrade\"]")
        .await
        .expect("Downgrade to…");
    wait_for(
        browser,
        "document.querySelector('#confirm').dataset.phase === 'ready'",
        "the downgrade preview",
    )
    .await;
    let loss = browser
        .text("#confirm-body .data-loss")
        .await
        .expect("the data-loss preview");
    assert!(loss.contains("users"), "{loss}");
    assert_eq!(
        js(browser, "document.querySelector('#confirm-ok').disabled").await,
        json!(true)
    );
    browser
        .click("#confirm-data-loss")
        .await
        .expect("tick the consent");
    assert_eq!(
        js(browser, "document.querySelector('#confirm-ok').disabled").await,
        json!(false)
    );
    browser.click("#confirm-ok").await.expect("confirm");
    wait_for(
        browser,
        "['done', 'failed'].includes(document.querySelector('#confirm').dataset.phase)",
        "the downgrade",
    )
    .await;
    let result = browser.text("#confirm-status").await.expect("result");
    assert_eq!(
        js(browser, "document.querySelector('#confirm').dataset.phase").await,
        json!("done"),
        "{result}"
    );
    browser.click("#confirm-close").await.expect("close");
    wait_for(
        browser,
        "document.querySelector('#audit tr[data-action=\"downgrade\"][data-result=\"ok\"]') !== null",
        "the downgrade in the audit log",
    )
    .await;
    assert!(field(browser, "current").await.starts_with("none"));
}

async fn scenario(browser: &Browser, backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "dash_browser").await else {
        eprintln!("browser dashboard test SKIPPED on {backend:?}");
        return;
    };
    let server: Server = start(&scratch, 1000, 10).await;
    let base = server.base.clone();
    let head = versions().last().cloned().expect("a migration");
    let shots = screenshots() && backend == Backend::Sqlite;

    wrong_token(browser, &base).await;
    viewer(browser, &base, &head).await;
    operator_upgrades(browser, &base, &head, shots).await;
    drift(browser, &scratch).await;
    if shots {
        let backup = server.post("/api/backup", OPERATOR, json!({})).await;
        assert_eq!(backup.status, 200, "{}", backup.json);
        refresh(browser).await;
        wait_for(
            browser,
            "document.querySelector('#backups tbody tr') !== null",
            "the backup",
        )
        .await;
        save(browser, "dashboard-overview.png", true).await;
        browser
            .client()
            .set_window_size(WIDTH, HEIGHT)
            .await
            .expect("size");
    }
    downgrade_with_data_loss(browser, &scratch).await;
    browser.click("#sign-out").await.expect("sign out");
    eprintln!("browser dashboard test passed on {backend:?}");
    scratch.cleanup().await;
}

/// Repeated wrong tokens: the 429 is shown as such, still on the form.
async fn rate_limited(browser: &Browser) {
    let Some(scratch) = Scratch::new(Backend::Sqlite, "dash_limit").await else {
        return;
    };
    let server = start(&scratch, 1, 10).await;
    wrong_token(browser, &server.base).await;
    sign_in(browser, &server.base, BAD).await;
    wait_for(
        browser,
        "document.querySelector('#sign-in-error').textContent.includes('Too many')",
        "the rate-limit message",
    )
    .await;
    let error = browser.text("#sign-in-error").await.expect("error");
    assert!(error.contains("retry in"), "{error}");
    assert_eq!(
        js(browser, "document.querySelector('#dashboard').hidden").await,
        json!(true)
    );
    scratch.cleanup().await;
}

/// The application's own sign-in, as a login proxy would do it: every request
/// is Alice's, a viewer.
async fn app_session(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    request.extensions_mut().insert(Caller {
        actor: "alice".to_owned(),
        role: Role::Viewer,
    });
    next.run(request).await
}

/// The router mounted under an application's path, behind its own
/// authentication: the page asks for no token and calls the API under the path.
async fn mounted_in_an_application(browser: &Browser) {
    let Some(scratch) = Scratch::new(Backend::Sqlite, "dash_mounted").await else {
        return;
    };
    let config = AdminConfig {
        database_url: Some(scratch.url.clone()),
        ..AdminConfig::new(Auth::Application)
    };
    let state = AdminState::new(project(), config).expect("admin state");
    let app: axum::Router = axum::Router::new()
        .nest("/ops/migrations", db_migrate::admin::router(state))
        .layer(axum::middleware::from_fn(app_session));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    browser
        .goto(&format!("http://{address}/ops/migrations"))
        .await
        .expect("open");
    wait_for(
        browser,
        "!document.querySelector('#dashboard').hidden && document.body.dataset.refreshed",
        "the dashboard without a token",
    )
    .await;
    assert_eq!(
        js(browser, "document.querySelector('#sign-in').hidden").await,
        json!(true)
    );
    assert_eq!(
        js(browser, "document.querySelector('#sign-out').hidden").await,
        json!(true)
    );
    assert_eq!(browser.text("#who-actor").await.expect("actor"), "alice");
    assert_eq!(browser.text("#who-role").await.expect("role"), "viewer");
    let head = versions().last().cloned().expect("a migration");
    assert_eq!(field(browser, "head").await, head);
    assert!(
        browser
            .find(&format!(
                "#pending article[data-version=\"{head}\"] pre.sql"
            ))
            .await
            .is_ok()
    );
    assert_eq!(
        js(
            browser,
            "document.querySelectorAll('button[data-action]').length"
        )
        .await,
        json!(0)
    );
    assert_eq!(js(browser, "sessionStorage.length").await, json!(0));
    scratch.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_on_every_backend() {
    let Some(browser) = Browser::start(WIDTH, HEIGHT).await else {
        return;
    };
    for backend in Backend::ALL {
        scenario(&browser, backend).await;
    }
    mounted_in_an_application(&browser).await;
    rate_limited(&browser).await;
    browser.close().await.expect("close");
}
