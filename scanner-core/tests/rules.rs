//! Runs every rule example (`rules/aws.toml`) through the full `Scanner`, through every
//! input path, with the prefilter on and off.

#![allow(clippy::unwrap_used)]

mod harness;

use std::io::{self, Read};

use harness::{describe, encode, expand, normalize_expectation, Example, Slots};
use scanner_core::{AccountId, ExamplePolicy, Finding, Prefilter, Scanner};

fn scanner_for(e: &Example, prefilter: Prefilter) -> Scanner {
    let accounts = e
        .own_accounts
        .iter()
        .map(|a| a.parse::<AccountId>().unwrap());
    Scanner::builder()
        .examples(if e.include_examples {
            ExamplePolicy::Report
        } else {
            ExamplePolicy::Suppress
        })
        .own_accounts(accounts)
        .prefilter(prefilter)
        .build()
}

fn input(e: &Example) -> (Vec<u8>, Slots) {
    let mut slots = Slots::default();
    let bytes = expand(&e.text, &mut slots);
    (encode(bytes, e.encoding.as_deref()), slots)
}

fn described(findings: &[Finding], slots: &Slots) -> Vec<String> {
    let mut d: Vec<String> = findings.iter().map(|f| describe(f, slots)).collect();
    d.sort();
    d
}

#[test]
fn every_example_gives_exactly_its_expected_findings() {
    let mut failures = Vec::new();
    for e in harness::load() {
        let (bytes, slots) = input(&e);
        let got = described(&scanner_for(&e, Prefilter::On).scan(&bytes), &slots);
        let mut want: Vec<String> = e.expect.iter().map(|x| normalize_expectation(x)).collect();
        want.sort();
        if got != want {
            failures.push(format!(
                "example {:?} ({}):\n  want: {want:#?}\n  got:  {got:#?}\n  text: {:?}",
                e.name,
                e.class,
                String::from_utf8_lossy(&bytes)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn examples_cover_every_class() {
    let examples = harness::load();
    for class in ["positive", "negative", "near-miss"] {
        assert!(
            examples.iter().filter(|e| e.class == class).count() >= 5,
            "too few {class} examples"
        );
    }
    for e in &examples {
        assert!(
            ["positive", "negative", "near-miss"].contains(&e.class.as_str()),
            "{}: class",
            e.name
        );
        assert_eq!(
            e.class == "positive",
            !e.expect.is_empty(),
            "{}: positives expect findings, others none",
            e.name
        );
    }
}

/// The prefilter's contract: it may over-report anchors, never miss one that leads to a
/// finding. Same findings with it on and with the exhaustive path.
#[test]
fn prefilter_on_and_off_give_identical_findings() {
    let mut corpus = Vec::new();
    for e in harness::load() {
        let (bytes, slots) = input(&e);
        let on = described(&scanner_for(&e, Prefilter::On).scan(&bytes), &slots);
        let off = described(&scanner_for(&e, Prefilter::Off).scan(&bytes), &slots);
        assert_eq!(on, off, "example {:?}", e.name);
        if e.own_accounts.is_empty() && !e.include_examples {
            corpus.extend_from_slice(&bytes);
            corpus.extend_from_slice(b"\n\n");
        }
    }
    // All examples in one file: windows, structure and decoding interact across them.
    let on = Scanner::builder().build().scan(&corpus);
    let off = Scanner::builder()
        .prefilter(Prefilter::Off)
        .build()
        .scan(&corpus);
    assert!(!on.is_empty());
    assert_eq!(on, off);
}

/// A reader that hands out its bytes in awkward pieces.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: std::iter::Cycle<std::array::IntoIter<usize, 4>>,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self
            .sizes
            .next()
            .unwrap()
            .min(buf.len())
            .min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn slices_readers_and_files_give_identical_findings() {
    let dir = tempfile::tempdir().unwrap();
    for (i, e) in harness::load().into_iter().enumerate() {
        let (bytes, _) = input(&e);
        let scanner = scanner_for(&e, Prefilter::On);
        let from_slice = scanner.scan(&bytes);

        let reader = Chunked {
            data: &bytes,
            sizes: [1, 7, 4093, 3].into_iter().cycle(),
        };
        assert_eq!(
            scanner.scan_reader(reader).unwrap(),
            from_slice,
            "reader: {:?}",
            e.name
        );

        let small = dir.path().join(format!("{i}.txt"));
        std::fs::write(&small, &bytes).unwrap();
        assert_eq!(
            scanner.scan_file(&small).unwrap(),
            from_slice,
            "file: {:?}",
            e.name
        );

        // Large enough to be memory-mapped; the filler comes after, so lines do not move.
        let mut big_bytes = bytes.clone();
        big_bytes.extend(
            std::iter::repeat_n(b"\n# filler line of a large file\n".as_slice(), 40_000).flatten(),
        );
        let big = dir.path().join(format!("{i}.big"));
        std::fs::write(&big, &big_bytes).unwrap();
        assert_eq!(
            scanner.scan_file(&big).unwrap(),
            scanner.scan(&big_bytes),
            "mmap: {:?}",
            e.name
        );
        assert_eq!(
            scanner.scan_file(&big).unwrap().len(),
            from_slice.len(),
            "mmap count: {:?}",
            e.name
        );
    }
}

#[test]
fn missing_files_are_typed_errors_with_their_path() {
    let err = Scanner::default()
        .scan_file(std::path::Path::new("/nonexistent/leakscan"))
        .unwrap_err();
    assert_eq!(err.kind(), scanner_core::ErrorKind::Io);
    assert_eq!(
        err.path(),
        Some(std::path::Path::new("/nonexistent/leakscan"))
    );
}

#[test]
fn iam_unique_ids_are_never_credentials() {
    let secret = harness::secret("S1");
    for prefix in scanner_core::rules::IAM_UNIQUE_ID_PREFIXES {
        let id = harness::key_id(prefix, "U1", None);
        let text = format!("aws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
        let kinds: Vec<_> = Scanner::default()
            .scan(text.as_bytes())
            .iter()
            .map(|f| f.kind)
            .collect();
        // The secret is still reported, as a named secret; the unique ID never.
        assert_eq!(kinds, vec![scanner_core::Kind::SecretKey], "{prefix}");
    }
}

#[test]
fn a_scanner_is_shared_between_threads() {
    let scanner = Scanner::default();
    let text = format!(
        "{}\n{}\n",
        harness::key_id("AKIA", "K1", None),
        harness::secret("S1")
    );
    let want = scanner.scan(text.as_bytes());
    std::thread::scope(|s| {
        for _ in 0..4 {
            let scanner = scanner.clone();
            let text = &text;
            let want = &want;
            s.spawn(move || assert_eq!(&scanner.scan(text.as_bytes()), want));
        }
    });
}
