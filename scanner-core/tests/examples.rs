//! The programs of `examples/` run on generated inputs: the same code as
//! `cargo run -p scanner-core --example ...`, called as functions.

#![allow(clippy::unwrap_used)]

mod harness;

#[allow(dead_code)]
#[path = "../examples/scan_bytes.rs"]
mod scan_bytes;
#[allow(dead_code)]
#[path = "../examples/scan_dir.rs"]
mod scan_dir;

use scanner_core::Scanner;

fn credentials(seed: &str) -> String {
    format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        harness::key_id("AKIA", &format!("K{seed}"), None),
        harness::secret(&format!("S{seed}"))
    )
}

#[test]
fn scan_bytes_prints_one_redacted_line_per_finding() {
    let text = credentials("1");
    let mut out = Vec::new();
    let n = scan_bytes::run(&Scanner::default(), text.as_bytes(), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(n, 1);
    let key = harness::key_id("AKIA", "K1", None);
    assert!(
        out.starts_with(&format!("2:21 aws-key-pair high {key} ")),
        "{out}"
    );
    assert!(!out.contains(&harness::secret("S1")), "redacted: {out}");
}

#[test]
fn scan_dir_walks_every_regular_file_and_goes_on_after_problems() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("b/deeper")).unwrap();
    std::fs::write(root.join("a.ini"), credentials("1")).unwrap();
    std::fs::write(root.join("b/deeper/c.env"), credentials("2")).unwrap();
    std::fs::write(root.join("b/clean.txt"), "nothing here\n").unwrap();
    // Over the size limit: skipped and reported, not scanned.
    std::fs::write(
        root.join("b/big.txt"),
        credentials("3") + &"#\n".repeat(600),
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("a.ini"), root.join("link.ini")).unwrap();

    let scanner = Scanner::builder().max_read_size(1000).build();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let summary = scan_dir::run(&scanner, root, &mut out, &mut err).unwrap();
    let out = String::from_utf8(out).unwrap();
    let err = String::from_utf8(err).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{}:2 aws-key-pair high", root.join("a.ini").display()),
            format!(
                "{}:2 aws-key-pair high",
                root.join("b/deeper/c.env").display()
            ),
        ]
    );
    assert_eq!(
        (summary.files, summary.findings, summary.problems),
        (4, 2, 1)
    );
    assert!(
        err.contains("big.txt") && err.contains("1000 bytes"),
        "{err}"
    );
}
