//! Concurrent `generate` runs on one migration folder: each run registers its
//! module or fails without writing one, names stay unique within one second,
//! and `lib.rs` always parses.

mod support;

use std::sync::Barrier;

use support::{Run, Sandbox, files, versions};

const PROCESSES: usize = 8;

#[test]
fn eight_concurrent_generates_register_eight_modules() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let d = dir.to_string_lossy().into_owned();
    let barrier = Barrier::new(PROCESSES);
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..PROCESSES)
            .map(|i| {
                let (barrier, s, d) = (&barrier, &s, &d);
                scope.spawn(move || {
                    let description = format!("concurrent {i}");
                    barrier.wait();
                    s.run(&["generate", &description, "--migration-dir", d])
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    for run in &runs {
        run.ok();
    }
    let lib = std::fs::read_to_string(dir.join("lib.rs")).expect("lib.rs");
    let parsed = syn::parse_file(&lib).expect("lib.rs parses");
    let declared: Vec<String> = parsed
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect();
    let compiled = versions();
    let new: Vec<&String> = declared.iter().filter(|m| !compiled.contains(m)).collect();
    assert_eq!(new.len(), PROCESSES, "{lib}");
    // Every new module is declared, listed, on disk, and named once.
    let mut names: Vec<&str> = new.iter().map(|m| &m[..16]).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), PROCESSES, "timestamps are unique: {new:?}");
    for module in &new {
        assert!(
            lib.contains(&format!("Box::new({module}::Migration)")),
            "{module} not listed: {lib}"
        );
        assert!(dir.join(format!("{module}.rs")).is_file(), "{module}.rs");
    }
    for i in 0..PROCESSES {
        let slug = format!("_concurrent_{i}");
        assert_eq!(
            new.iter().filter(|m| m.ends_with(&slug)).count(),
            1,
            "{slug}: {new:?}"
        );
    }
    // Nothing else: no module written without registration, no temp or lock file.
    let mut expected: Vec<String> = new.iter().map(|m| format!("{m}.rs")).collect();
    expected.push("lib.rs".into());
    expected.sort();
    assert_eq!(files(&dir), expected);
}
