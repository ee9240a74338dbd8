//! Security: no credential is ever printed. A distinctive password in each form
//! a URL or the environment can carry it (user information, `?password=`,
//! `?PASSWORD=`, `?sslpassword=`, percent-encoded special characters,
//! `POSTGRES_PASSWORD`, `.env`) × the main commands × every output channel
//! (stdout, stderr, `--json`, `-v`, `RUST_LOG=trace`), against a closed loopback
//! port and against the live PostgreSQL and MariaDB servers.

#[path = "support/backends.rs"]
mod backends;
mod support;

use backends::{Backend, Scratch, exec};
use support::{Run, Sandbox};

/// The commands every case runs (after the case's own arguments).
const COMMANDS: &[&[&str]] = &[
    &["status"],
    &["upgrade"],
    &["health", "--timeout", "3"],
    &["check"],
    &["verify"],
    &["diff"],
    &["backup", "-o", "b.sql"],
];

/// Flags and environment variables of one output channel.
type Channel = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// The output channels: `--json` with `-v` logs, text with every log of every
/// dependency (`RUST_LOG=trace`), and text with connections going straight to
/// the server rather than through the `TCP_NODELAY` relay.
const CHANNELS: &[Channel] = &[
    (&["--json", "-v"], &[]),
    (&[], &[("RUST_LOG", "trace")]),
    (&[], &[("DB_MIGRATE_NODELAY_RELAY", "off")]),
];

/// One way of handing the tool a password.
struct Case {
    label: &'static str,
    /// The password as the user wrote it (decoded).
    password: String,
    /// Arguments before the command (`-u URL`), if any.
    args: Vec<String>,
    /// Environment variables.
    env: Vec<(String, String)>,
    /// The `.env` file's content, if any.
    dotenv: Option<String>,
}

impl Case {
    fn url(label: &'static str, password: &str, url: String) -> Case {
        Case {
            label,
            password: password.into(),
            args: vec!["-u".into(), url],
            env: Vec::new(),
            dotenv: None,
        }
    }
}

/// Every text a password can be printed as: as written, percent-encoded (sqlx,
/// the `url` crate) and form-encoded.
fn shown_forms(password: &str) -> Vec<String> {
    let mut forms = vec![
        password.to_owned(),
        percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        url::form_urlencoded::byte_serialize(password.as_bytes()).collect(),
    ];
    let mut u = url::Url::parse("x://u@h").expect("url");
    u.set_password(Some(password)).expect("password");
    forms.extend(u.password().map(str::to_owned));
    forms
}

#[track_caller]
fn assert_hidden(case: &Case, what: &str, run: &Run) {
    let all = format!("{}\n{}", run.stdout, run.stderr);
    assert!(
        !all.contains("panicked"),
        "{} {what}: panic: {run:#?}",
        case.label
    );
    for form in shown_forms(&case.password) {
        assert!(
            !all.contains(&form),
            "{} {what}: `{form}` printed: {run:#?}",
            case.label
        );
    }
}

/// Runs every command on every channel for `case`, `parallel` runs at a time;
/// returns the runs by command and channel.
fn run_case(case: &Case, parallel: usize) -> Vec<(String, Run)> {
    let sandbox = Sandbox::new();
    if let Some(text) = &case.dotenv {
        std::fs::write(sandbox.path().join(".env"), text).expect("write .env");
    }
    let mut jobs = Vec::new();
    for command in COMMANDS {
        for (channel, (flags, env)) in CHANNELS.iter().enumerate() {
            let mut args: Vec<String> = case.args.clone();
            args.extend(flags.iter().map(|s| s.to_string()));
            // Each backup to its own file.
            args.extend(
                command
                    .iter()
                    .map(|s| s.replace("b.sql", &format!("b{channel}.sql"))),
            );
            let mut vars = case.env.clone();
            vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            jobs.push((args, vars));
        }
    }
    let mut runs = Vec::new();
    for chunk in jobs.chunks(parallel) {
        let done: Vec<(String, Run)> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(args, vars)| {
                    let sandbox = &sandbox;
                    scope.spawn(move || {
                        let args: Vec<&str> = args.iter().map(String::as_str).collect();
                        let vars: Vec<(&str, &str)> =
                            vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                        let what = format!("{args:?} {vars:?}");
                        (what, sandbox.run_raw(&args, &vars))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("run thread"))
                .collect()
        });
        runs.extend(done);
    }
    for (what, run) in &runs {
        assert_hidden(case, what, run);
    }
    runs
}

/// The closed loopback port: every command fails to connect, in every form.
#[test]
fn unreachable_servers_never_print_a_password() {
    let at = "127.0.0.1:1";
    let cases = vec![
        Case::url(
            "userinfo",
            "Ui-Secret-4711",
            format!("postgres://app:Ui-Secret-4711@{at}/db"),
        ),
        Case::url(
            "percent-encoded userinfo",
            "Pc@Secret!4712",
            format!("mysql://app:Pc%40Secret%214712@{at}/db"),
        ),
        Case::url(
            "?password=",
            "Qp-Secret-4713",
            format!("postgres://app@{at}/db?sslmode=disable&password=Qp-Secret-4713"),
        ),
        Case::url(
            "?PASSWORD= on MySQL",
            "Qm-Secret-4714",
            format!("mysql://app@{at}/db?PASSWORD=Qm-Secret-4714"),
        ),
        Case::url(
            "?sslpassword=",
            "Ssl-Secret-4715",
            format!("postgres://app@{at}/db?sslpassword=Ssl-Secret-4715"),
        ),
        Case {
            label: "POSTGRES_PASSWORD",
            password: "Env-Secret-4716".into(),
            args: Vec::new(),
            env: vec![
                ("POSTGRES_SERVER".into(), "127.0.0.1".into()),
                ("POSTGRES_PORT".into(), "1".into()),
                ("POSTGRES_USER".into(), "app".into()),
                ("POSTGRES_PASSWORD".into(), "Env-Secret-4716".into()),
            ],
            dotenv: None,
        },
        Case {
            label: ".env DATABASE_URL",
            password: "Dot-Secret-4717".into(),
            args: Vec::new(),
            env: Vec::new(),
            dotenv: Some(format!(
                "DATABASE_URL=postgres://app@{at}/db?password=Dot-Secret-4717\n"
            )),
        },
        Case {
            label: ".env POSTGRES_PASSWORD",
            password: "Dot Secret+4718".into(),
            args: Vec::new(),
            env: Vec::new(),
            dotenv: Some(
                "POSTGRES_SERVER=127.0.0.1\nPOSTGRES_PORT=1\nPOSTGRES_PASSWORD='Dot Secret+4718'\n"
                    .into(),
            ),
        },
    ];
    for case in &cases {
        // A refused connection is told at once, not after the 10 s connect
        // timeout: each batch of parallel runs takes far less than one timeout.
        let parallel = 14;
        let batches = (COMMANDS.len() * CHANNELS.len()).div_ceil(parallel) as u32;
        let started = std::time::Instant::now();
        let runs = run_case(case, parallel);
        let took = started.elapsed();
        assert!(
            took < std::time::Duration::from_secs(5) * batches,
            "{}: {took:?} for {batches} batch(es)",
            case.label
        );
        for (what, run) in runs {
            assert_eq!(run.code, Some(1), "{} {what}: {run:#?}", case.label);
            let all = format!("{}\n{}", run.stdout, run.stderr);
            assert!(
                all.contains("connection refused: is the server running on 127.0.0.1:1,"),
                "{} {what}: the cause is not named: {run:#?}",
                case.label
            );
        }
    }
}

/// A URL given in the wrong place is echoed by the usage error, redacted.
#[test]
fn usage_errors_never_print_a_password() {
    let s = Sandbox::new();
    let case = Case::url("usage", "Use-Secret-4719", String::new());
    for url in [
        "postgres://app:Use-Secret-4719@127.0.0.1:1/db",
        "mysql://app@127.0.0.1:1/db?password=Use-Secret-4719",
    ] {
        let run = s.run_raw(&["status", url], &[]);
        assert_eq!(run.code, Some(2), "{run:#?}");
        assert!(run.stderr.contains("unexpected argument"), "{run:#?}");
        assert_hidden(&case, url, &run);
    }
}

/// Live servers accept the password (PostgreSQL trusts every one; MariaDB gets a
/// user with that password): the commands work, and print no password.
#[test]
fn live_servers_never_print_a_password() {
    let rt = backends::runtime();
    if let Some(scratch) = rt.block_on(Scratch::new(Backend::Postgres, "sec_cred_pg")) {
        let base = url::Url::parse(&scratch.url).expect("url");
        let with_password = |p: &str| {
            let mut u = base.clone();
            u.set_password(Some(p)).expect("password");
            u.to_string()
        };
        let db = base.path().trim_start_matches('/').to_owned();
        let cases = vec![
            Case::url(
                "pg userinfo",
                "Pg:Live@Pw!81",
                with_password("Pg:Live@Pw!81"),
            ),
            Case::url(
                "pg ?password=",
                "PgQuery-Live-82",
                format!("{}?password=PgQuery-Live-82", scratch.url),
            ),
            // sqlx warns about an unknown parameter, with its value.
            Case::url(
                "pg ?sslpassword=",
                "PgSsl-Live-83",
                format!("{}?sslpassword=PgSsl-Live-83", scratch.url),
            ),
            Case {
                label: "pg POSTGRES_PASSWORD",
                password: "PgEnv-Live-84".into(),
                args: Vec::new(),
                env: vec![
                    ("POSTGRES_SERVER".into(), "127.0.0.1".into()),
                    (
                        "POSTGRES_PORT".into(),
                        base.port().unwrap_or(5432).to_string(),
                    ),
                    ("POSTGRES_USER".into(), base.username().into()),
                    ("POSTGRES_PASSWORD".into(), "PgEnv-Live-84".into()),
                    ("POSTGRES_DB".into(), db),
                ],
                dotenv: None,
            },
            Case {
                label: "pg .env",
                password: "PgDot-Live-85".into(),
                args: Vec::new(),
                env: Vec::new(),
                dotenv: Some(format!("DATABASE_URL={}\n", with_password("PgDot-Live-85"))),
            },
        ];
        for case in &cases {
            let runs = run_case(case, 1);
            assert_connected(case, &runs);
        }
        rt.block_on(scratch.cleanup());
    }
    if let Some(scratch) = rt.block_on(Scratch::new(Backend::MySql, "sec_cred_my")) {
        let user = format!("dbm_sec_{}", std::process::id());
        let password = "My:Live@Pw!86";
        exec(&rt, &scratch, &format!("DROP USER IF EXISTS '{user}'@'%'"));
        exec(
            &rt,
            &scratch,
            &format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"),
        );
        exec(&rt, &scratch, &format!("GRANT ALL ON *.* TO '{user}'@'%'"));
        let mut u = url::Url::parse(&scratch.url).expect("url");
        u.set_username(&user).expect("user");
        let plain = u.to_string();
        u.set_password(Some(password)).expect("password");
        let cases = [
            Case::url("mysql userinfo", password, u.to_string()),
            // sqlx's MySQL driver ignores the parameter: access is denied, and
            // the error says nothing of the password.
            Case::url(
                "mysql ?password=",
                password,
                format!(
                    "{plain}?password={}",
                    url::form_urlencoded::byte_serialize(password.as_bytes()).collect::<String>()
                ),
            ),
        ];
        let outcome = std::panic::catch_unwind(|| {
            let runs = run_case(&cases[0], 1);
            assert_connected(&cases[0], &runs);
            let denied = run_case(&cases[1], 1);
            // The operator's health report names the reason with a stable code.
            let (_, health) = denied
                .iter()
                .find(|(what, _)| what.contains("\"health\"") && what.contains("--json"))
                .expect("a health --json run");
            let doc: serde_json::Value =
                serde_json::from_str(&health.stdout).unwrap_or_else(|e| panic!("{e}: {health:#?}"));
            assert_eq!(doc["error"], "auth_failed", "{health:#?}");
        });
        exec(&rt, &scratch, &format!("DROP USER IF EXISTS '{user}'@'%'"));
        rt.block_on(scratch.cleanup());
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

/// The commands that always succeed on a reachable database did.
#[track_caller]
fn assert_connected(case: &Case, runs: &[(String, Run)]) {
    for (what, run) in runs {
        let must_succeed = ["\"status\"", "\"upgrade\"", "\"backup\""]
            .iter()
            .any(|c| what.contains(c));
        if must_succeed {
            assert_eq!(run.code, Some(0), "{} {what}: {run:#?}", case.label);
        } else {
            assert!(
                matches!(run.code, Some(0 | 2)),
                "{} {what}: {run:#?}",
                case.label
            );
        }
    }
}
