//! Clear results from `generate` for input it used to handle badly: a
//! description in another script (a lossy or empty slug before), and a
//! `lib.rs` that does not parse (an error without a position before).

mod support;

use support::{Sandbox, files};

/// Runs `generate DESCRIPTION` into a fresh migration folder and returns the
/// new module's file name.
fn generated(s: &Sandbox, description: &str) -> String {
    let dir = s.migration_dir();
    let before = files(&dir);
    let dir_arg = dir.display().to_string();
    s.run(&["--migration-dir", &dir_arg, "generate", description])
        .ok();
    let new: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    new[0].clone()
}

#[test]
fn non_ascii_descriptions_are_transliterated_into_the_module_name() {
    let cases = [
        ("Präferenzen für Nutzer", "_praferenzen_fur_nutzer.rs"),
        ("добавить пользователей", "_dobavit_polzovatelei.rs"),
        ("用户表", "_yong_hu_biao.rs"),
        ("ajouter l'état", "_ajouter_l_etat.rs"),
    ];
    for (description, suffix) in cases {
        let s = Sandbox::new();
        let file = generated(&s, description);
        assert!(file.ends_with(suffix), "{description}: {file}");
        let stem = file.trim_end_matches(".rs");
        assert!(
            stem.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{stem}"
        );
        let lib = std::fs::read_to_string(s.path().join("mig/src/lib.rs")).expect("lib.rs");
        assert!(lib.contains(&format!("mod {stem};")), "{lib}");
    }
}

#[test]
fn a_description_without_letters_is_an_error_not_an_empty_name() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let dir_arg = dir.display().to_string();
    let before = files(&dir);
    s.run(&["--migration-dir", &dir_arg, "generate", "!!! ---"])
        .error(&["has no letters or digits"]);
    assert_eq!(files(&dir), before);
}

#[test]
fn an_unparsable_lib_rs_is_an_error_at_its_position() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let lib = dir.join("lib.rs");
    let text = std::fs::read_to_string(&lib).expect("lib.rs");
    // Break line 2 (a blank line after the doc comment) at column 5.
    let broken = text.replacen("\n\n", "\nfn x( {\n\n", 1);
    std::fs::write(&lib, &broken).expect("write");
    let dir_arg = dir.display().to_string();
    let run = s.run(&["--migration-dir", &dir_arg, "generate", "new table"]);
    let line = run.error(&["cannot parse the migration crate's lib.rs"]);
    let expected = format!("error: {}:", lib.display());
    assert!(line.starts_with(&expected), "{line}");
    let position = line[expected.len()..]
        .split(':')
        .take(2)
        .map(|n| n.trim().parse::<u32>().ok())
        .collect::<Vec<_>>();
    assert!(
        position.len() == 2 && position.iter().all(Option::is_some),
        "no LINE:COLUMN in: {line}"
    );
    assert_eq!(std::fs::read_to_string(&lib).expect("lib.rs"), broken);
}
