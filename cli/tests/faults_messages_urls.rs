//! Clear messages for URLs that point at the wrong thing: a MySQL URL without a
//! database, a PostgreSQL URL at another server's port, a closed port (told at
//! once, while `wait` keeps waiting), a directory given as the SQLite file,
//! `[::1]` hosts, PostgreSQL's server-source `at line N`, `health` printing an
//! error once, and a server that does not answer (which keeps the connect
//! timeout). Loopback servers only.

#[path = "support/backends.rs"]
mod backends;
mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use backends::{Backend, on_every_backend};
use support::Sandbox;

const PG_PORT: u16 = 5432;
const MYSQL_PORT: u16 = 3306;

/// Whether a server answers on `127.0.0.1:port`.
fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// The commands that open the configured database.
const COMMANDS: &[&[&str]] = &[
    &["status"],
    &["history"],
    &["upgrade"],
    &["downgrade"],
    &["stamp", "head"],
    &["check"],
    &["verify"],
    &["diff"],
    &["auto", "x"],
    &["upgrade", "--dry-run"],
    &["backup"],
    &["wait", "--timeout", "1"],
    &["health"],
];

#[test]
fn a_mysql_url_without_a_database_is_refused_by_every_command() {
    let s = Sandbox::new();
    for url in [
        "mysql://root@127.0.0.1:3306",
        "mysql://root@127.0.0.1:3306/",
        "mariadb://root:pw@127.0.0.1:3306/",
    ] {
        for args in COMMANDS {
            let mut all = vec!["-u", url];
            all.extend_from_slice(args);
            let run = s.run_raw(&all, &[]);
            run.error(&["names no database", "://USER@HOST:3306/DATABASE"]);
        }
    }
    // `start` refuses before it launches anything.
    let run = s.run_raw(
        &["-u", "mysql://root@127.0.0.1:3306", "start", "--", "true"],
        &[],
    );
    run.error(&["names no database"]);
}

#[test]
fn a_postgres_url_at_another_servers_port_says_so() {
    if !listening(MYSQL_PORT) {
        eprintln!("SKIPPED: no server on 127.0.0.1:{MYSQL_PORT}");
        return;
    }
    let s = Sandbox::new();
    let url = format!("postgres://postgres@127.0.0.1:{MYSQL_PORT}/x");
    for args in [&["status"][..], &["upgrade"], &["check"]] {
        let mut all = vec!["-u", url.as_str()];
        all.extend_from_slice(args);
        s.run_raw(&all, &[]).error(&[
            "the server at 127.0.0.1:3306 did not answer as PostgreSQL",
            "5432",
        ]);
    }
    let run = s.run_raw(&["-u", &url, "wait", "--timeout", "1"], &[]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr
            .contains("the server at 127.0.0.1:3306 did not answer as PostgreSQL"),
        "{run:#?}"
    );
    let run = s.run_raw(&["-u", &url, "health"], &[]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.contains("did not answer as PostgreSQL"),
        "{run:#?}"
    );
}

#[test]
fn a_directory_is_not_a_sqlite_file() {
    let s = Sandbox::new();
    std::fs::create_dir(s.path().join("some_dir")).expect("mkdir");
    for args in [&["status"][..], &["upgrade"], &["health"], &["backup"]] {
        let mut all = vec!["-u", "sqlite://some_dir"];
        all.extend_from_slice(args);
        s.run_raw(&all, &[]).error(&[
            "`some_dir` is a directory, not a file",
            "sqlite://some_dir/app.db",
        ]);
    }
    assert!(s.path().join("some_dir").is_dir());
}

#[test]
fn postgres_errors_lose_the_server_source_line_and_health_says_it_once() {
    if !listening(PG_PORT) {
        eprintln!("SKIPPED: no server on 127.0.0.1:{PG_PORT}");
        return;
    }
    let s = Sandbox::new();
    let url = "postgres://postgres@127.0.0.1:5432/dbm_no_such_database_here";
    let run = s.run_raw(&["-u", url, "status"], &[]);
    let line = run.error(&["database \"dbm_no_such_database_here\" does not exist"]);
    assert!(!line.contains(" at line "), "{line}");
    let health = s.run_raw(&["-u", url, "health"], &[]);
    assert_eq!(health.code, Some(1), "{health:#?}");
    let problem = health
        .stdout
        .lines()
        .find(|l| l.starts_with("problem: "))
        .unwrap_or_else(|| panic!("no problem line: {health:#?}"));
    assert_eq!(problem.matches("does not exist").count(), 1, "{problem}");
    assert!(!problem.contains(" at line "), "{problem}");
    let json = s.run_raw(&["-u", url, "--json", "health"], &[]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let text = report["problems"][0].as_str().unwrap_or_default();
    assert_eq!(text.matches("does not exist").count(), 1, "{text}");
    assert!(!text.contains(" at line "), "{text}");
}

#[test]
fn health_prints_a_mysql_error_once() {
    if !listening(MYSQL_PORT) {
        eprintln!("SKIPPED: no server on 127.0.0.1:{MYSQL_PORT}");
        return;
    }
    let s = Sandbox::new();
    let url = "mysql://root@127.0.0.1:3306/dbm_no_such_database_here";
    let health = s.run_raw(&["-u", url, "health"], &[]);
    assert_eq!(health.code, Some(1), "{health:#?}");
    assert_eq!(
        health.stdout.matches("Unknown database").count(),
        1,
        "{health:#?}"
    );
}

/// Forwards every connection accepted on `[::1]:PORT` to `127.0.0.1:target`, so
/// that an IPv6 URL reaches a server that listens on IPv4 loopback only. `None`
/// when this machine has no IPv6 loopback.
fn ipv6_forwarder(target: u16) -> Option<u16> {
    let listener = TcpListener::bind("[::1]:0").ok()?;
    let port = listener.local_addr().ok()?.port();
    forward(listener, target);
    Some(port)
}

/// Forwards every connection `listener` accepts to `127.0.0.1:target`, in a
/// thread.
fn forward(listener: TcpListener, target: u16) {
    std::thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            let pipe = |mut from: TcpStream, mut to: TcpStream| {
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    to.shutdown(Shutdown::Write).ok();
                });
            };
            if let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) {
                pipe(client, s2);
                pipe(server, c2);
            }
        }
    });
}

/// The scratch URL with its host replaced by `[::1]:port`, and a password
/// where the server ignores it (PostgreSQL's trust authentication).
fn on_ipv6(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").expect("server URL");
    let (authority, path) = rest.split_once('/').expect("a database");
    let user = authority.rsplit_once('@').map_or("", |(u, _)| u);
    let password = if scheme.starts_with("postgres") {
        ":s3cretpw"
    } else {
        ""
    };
    format!("{scheme}://{user}{password}@[::1]:{port}/{path}")
}

#[test]
fn ipv6_loopback_hosts_work() {
    on_every_backend("msg_ipv6", |_, scratch| {
        let target = match scratch.backend {
            Backend::Sqlite => return,
            Backend::Postgres => PG_PORT,
            Backend::MySql => MYSQL_PORT,
        };
        let Some(port) = ipv6_forwarder(target) else {
            eprintln!("SKIPPED: no IPv6 loopback on this machine");
            return;
        };
        let url = on_ipv6(&scratch.url, port);
        let s = Sandbox::new();
        let out = s.run_raw(&["-u", &url, "upgrade"], &[]).ok().to_owned();
        assert!(out.contains("applied"), "{out}");
        let status = s.run_raw(&["-u", &url, "status"], &[]).ok().to_owned();
        assert!(status.contains("pending: none"), "{status}");
        let wait = s.run_raw(&["-u", &url, "wait", "--timeout", "5"], &[]);
        assert!(
            wait.ok()
                .contains(&format!("database at [::1]:{port} accepts connections")),
            "{wait:#?}"
        );
        let health = s.run_raw(&["-u", &url, "health"], &[]);
        assert!(health.ok().contains("status:  ok"), "{health:#?}");
        for run in [&wait, &health] {
            assert!(!run.stdout.contains("s3cretpw") && !run.stderr.contains("s3cretpw"));
        }
    });
}

#[test]
fn an_ipv6_host_with_nothing_listening_is_a_clear_error() {
    // A closed port on the IPv6 loopback: the host is resolved (not "Name or
    // service not known"), the error names it with its brackets, and the
    // password is hidden.
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        eprintln!("SKIPPED: no IPv6 loopback on this machine");
        return;
    };
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let s = Sandbox::new();
    let refused = format!("connection refused: is the server running on [::1]:{port}");
    for scheme in ["postgres", "mysql"] {
        let url = format!("{scheme}://u:s3cretpw@[::1]:{port}/app");
        let run = s.run_raw(&["-u", &url, "wait", "--timeout", "1"], &[]);
        assert_eq!(run.code, Some(1), "{run:#?}");
        let err = run.stderr.lines().last().unwrap_or_default();
        assert!(err.contains(&format!("[::1]:{port}")), "{err}");
        assert!(err.contains(&refused), "{err}");
        assert!(!run.stderr.contains("lookup address"), "{run:#?}");
        assert!(!run.stderr.contains("s3cretpw"), "{run:#?}");
        for relay in ["on", "off"] {
            let started = Instant::now();
            let status = s.run_raw(
                &["-u", &url, "status"],
                &[("DB_MIGRATE_NODELAY_RELAY", relay)],
            );
            let line = status.error(&[&format!("u:***@[::1]:{port}/app"), &refused]);
            assert!(!line.contains("lookup address"), "{line}");
            assert!(started.elapsed() < FAST, "{relay}: {:?}", started.elapsed());
        }
    }
}

/// Far below the 10 s connect timeout: a refused connection is told at once.
const FAST: Duration = Duration::from_secs(5);

/// A loopback port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

#[test]
fn a_closed_port_fails_at_once_naming_the_cause() {
    let port = closed_port();
    let s = Sandbox::new();
    let refused = format!("connection refused: is the server running on 127.0.0.1:{port}");
    // With the relay (PostgreSQL with TLS possible, MySQL) and without it
    // (`sslmode=disable`, or the relay turned off): the same message.
    for url in [
        format!("postgres://app:Cl0sed-pw@127.0.0.1:{port}/db"),
        format!("postgres://app:Cl0sed-pw@127.0.0.1:{port}/db?sslmode=disable"),
        format!("mysql://app:Cl0sed-pw@127.0.0.1:{port}/db"),
        format!("mariadb://app:Cl0sed-pw@127.0.0.1:{port}/db"),
    ] {
        for relay in ["on", "off"] {
            let env = [("DB_MIGRATE_NODELAY_RELAY", relay)];
            let what = format!("{url} relay {relay}");
            for command in ["status", "upgrade"] {
                let started = Instant::now();
                let run = s.run_raw(&["-u", &url, command], &env);
                let line = run.error(&[&refused, "app:***@"]);
                assert!(!line.contains("Cl0sed-pw"), "{what}: {line}");
                assert!(
                    started.elapsed() < FAST,
                    "{what} {command}: {:?}",
                    started.elapsed()
                );
            }
            let started = Instant::now();
            let health = s.run_raw(&["-u", &url, "health"], &env);
            assert_eq!(health.code, Some(1), "{what}: {health:#?}");
            assert!(
                health.stdout.contains("status:  error"),
                "{what}: {health:#?}"
            );
            assert!(health.stdout.contains(&refused), "{what}: {health:#?}");
            let json = s.run_raw(&["-u", &url, "--json", "health"], &env);
            assert_eq!(json.code, Some(1), "{what}: {json:#?}");
            let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
            assert_eq!(report["error"], "unreachable", "{what}: {report}");
            assert!(
                report["problems"][0]
                    .as_str()
                    .is_some_and(|p| p.contains(&refused)),
                "{what}: {report}"
            );
            assert!(
                started.elapsed() < FAST * 2,
                "{what} health: {:?}",
                started.elapsed()
            );
            for run in [&health, &json] {
                assert!(!run.stdout.contains("Cl0sed-pw") && !run.stderr.contains("Cl0sed-pw"));
            }
        }
    }
}

#[test]
fn wait_keeps_waiting_for_a_closed_port_and_goes_on_when_the_server_comes() {
    let s = Sandbox::new();
    // `wait`, and `start`'s wait before it runs anything, with and without the relay.
    let cases = [
        ("postgres", &["wait", "--timeout", "2"][..], "on"),
        ("mysql", &["wait", "--timeout", "2"], "off"),
        (
            "postgres",
            &["start", "--timeout", "2", "--", "true"],
            "off",
        ),
        ("mysql", &["start", "--timeout", "2", "--", "true"], "on"),
    ];
    for (scheme, command, relay) in cases {
        let port = closed_port();
        let url = format!("{scheme}://app:W4it-pw@127.0.0.1:{port}/db");
        let mut args = vec!["-u", url.as_str()];
        args.extend_from_slice(command);
        let started = Instant::now();
        let run = s.run_raw(&args, &[("DB_MIGRATE_NODELAY_RELAY", relay)]);
        let took = started.elapsed();
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert!(
            took >= Duration::from_millis(1500),
            "{command:?} gave up after {took:?}"
        );
        let last = run.stderr.lines().last().unwrap_or_default();
        assert!(
            last.contains("did not accept connections within 2 s"),
            "{last}"
        );
        assert!(
            last.contains(&format!(
                "connection refused: is the server running on 127.0.0.1:{port}"
            )),
            "{last}"
        );
        assert!(!run.stderr.contains("W4it-pw"), "{run:#?}");
    }
    // A server that comes up while `wait` waits: the port opens after a second.
    on_every_backend("msg_wait_late", |_, scratch| {
        let target = match scratch.backend {
            Backend::Sqlite => return,
            Backend::Postgres => PG_PORT,
            Backend::MySql => MYSQL_PORT,
        };
        let port = closed_port();
        let opener = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            forward(
                TcpListener::bind(("127.0.0.1", port)).expect("rebind"),
                target,
            );
        });
        let url = scratch
            .url
            .replacen(&format!(":{target}/"), &format!(":{port}/"), 1);
        assert_ne!(url, scratch.url);
        let started = Instant::now();
        let run = s.run_raw(&["-u", &url, "wait", "--timeout", "20"], &[]);
        let took = started.elapsed();
        opener.join().expect("opener");
        assert!(
            run.ok()
                .contains(&format!("database at 127.0.0.1:{port} accepts connections")),
            "{run:#?}"
        );
        assert!(run.stderr.contains("waiting for the database"), "{run:#?}");
        assert!(took >= Duration::from_millis(900), "{took:?}");
    });
}

/// A loopback port whose listener never accepts and whose queue is full, so
/// that the kernel drops new connection attempts: a server that does not answer
/// (a black hole), on the loopback. The listener and the queued connections
/// live as long as the returned value. `None` where the kernel answers anyway.
fn black_hole() -> Option<(u16, impl Sized)> {
    let rt = backends::runtime();
    let socket = rt
        .block_on(async { tokio::net::TcpSocket::new_v4() })
        .ok()?;
    socket.bind("127.0.0.1:0".parse().ok()?).ok()?;
    let port = socket.local_addr().ok()?.port();
    let listener = rt.block_on(async { socket.listen(0) }).ok()?;
    let mut queued = Vec::new();
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..8 {
        match TcpStream::connect_timeout(&address, Duration::from_millis(300)) {
            Ok(stream) => queued.push(stream),
            Err(_) => return Some((port, (rt, listener, queued))),
        }
    }
    None
}

#[test]
fn a_server_that_does_not_answer_keeps_the_timeout() {
    let Some((port, _hole)) = black_hole() else {
        eprintln!("SKIPPED: this kernel answers a full listen queue");
        return;
    };
    let s = Sandbox::new();
    let url = format!("postgres://app:H0le-pw@127.0.0.1:{port}/db");
    std::thread::scope(|scope| {
        for relay in ["on", "off"] {
            let (s, url) = (&s, &url);
            scope.spawn(move || {
                let env = [("DB_MIGRATE_NODELAY_RELAY", relay)];
                let started = Instant::now();
                let json = s.run_raw(&["-u", url, "--json", "health", "--timeout", "2"], &env);
                let took = started.elapsed();
                assert_eq!(json.code, Some(1), "{relay}: {json:#?}");
                let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
                assert_eq!(report["error"], "timeout", "{relay}: {report}");
                assert!(took >= Duration::from_millis(1500), "{relay}: {took:?}");
                let started = Instant::now();
                let status = s.run_raw(&["-u", url, "status"], &env);
                let took = started.elapsed();
                status.error(&["no connection within 10 s", "app:***@"]);
                assert!(took >= Duration::from_secs(9), "{relay}: {took:?}");
                assert!(took < Duration::from_secs(40), "{relay}: {took:?}");
            });
        }
    });
}
