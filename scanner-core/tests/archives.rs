//! Archives and compressed files, built here with the same crates' writers: what is found
//! inside them, where (the archive path and the line in the entry), and what is reported
//! as skipped, with its reason. Keys are generated at run time.

#![cfg(feature = "archives")]
#![allow(clippy::unwrap_used)]

mod archive_fixtures;
mod harness;

use std::time::{Duration, Instant};

use archive_fixtures::{
    bzip2, duplicate_names, flag_encrypted, gzip, tar, xz, zip, zip_with, zstd, Method,
};
use scanner_core::{Finding, Kind, Prefilter, Scan, Scanner};

fn key(n: u32) -> String {
    harness::key_id("AKIA", &format!("archive-{n}"), None)
}

fn secret(n: u32) -> String {
    harness::secret(&format!("archive-{n}"))
}

/// A credentials file whose pair is on lines 2 and 3.
fn creds(n: u32) -> Vec<u8> {
    format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        key(n),
        secret(n)
    )
    .into_bytes()
}

/// `kind key-id line archive!path` for each finding, in order.
fn places(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f.kind,
                f.key_id.as_ref().map_or("-", |k| k.as_str()),
                f.location.line,
                f.archive_path
            )
        })
        .collect()
}

fn pair(n: u32, line: usize, path: &str) -> String {
    format!("aws-key-pair {} {line} {path}", key(n))
}

fn skips(scan: &Scan) -> Vec<String> {
    scan.skipped
        .iter()
        .map(|s| format!("{} {}", s.reason, s.archive_path))
        .collect()
}

/// Text that compresses as text does (about 3:1), `n` bytes of it.
fn filler(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(format!("row {} value {:x}\n", x % 1000, x >> 40).as_bytes());
    }
    out.truncate(n);
    out
}

fn scan(bytes: &[u8]) -> Scan {
    Scanner::default().scan_detailed(bytes)
}

#[test]
fn a_zip_inside_a_tar_inside_gzip() {
    let inner = zip(&[("config/prod.env", &creds(1)), ("README.md", b"# app\n")]);
    let tgz = gzip(&tar(&[
        ("release/notes.txt", b"nothing here\n"),
        ("release/app.zip", &inner),
        ("release/.aws/credentials", &creds(2)),
    ]));
    let s = scan(&tgz);
    assert_eq!(
        places(&s.findings),
        [
            pair(1, 2, "release/app.zip!config/prod.env"),
            pair(2, 2, "release/.aws/credentials"),
        ]
    );
    assert_eq!(s.skipped, []);
    let f = &s.findings[0];
    assert_eq!(f.secret.as_ref().unwrap().expose(), secret(1));
    assert_eq!(
        f.archive_path.components(),
        ["release/app.zip", "config/prod.env"]
    );
    assert_eq!(f.location.column, 21);
}

#[test]
fn jars_wheels_and_office_documents_are_zips() {
    let jar = zip(&[
        ("META-INF/", b""),
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        ("BOOT-INF/classes/application.properties", &creds(3)),
    ]);
    let whl = zip(&[
        ("pkg/__init__.py", b""),
        ("pkg/settings.py", &creds(4)),
        ("pkg-1.0.dist-info/RECORD", b"pkg/__init__.py,,\n"),
    ]);
    let document = format!(
        "<?xml version=\"1.0\"?>\n<w:document><w:body>\n<w:p><w:t>aws_access_key_id = {}</w:t></w:p>\n<w:p><w:t>aws_secret_access_key = {}</w:t></w:p>\n</w:body></w:document>\n",
        key(5),
        secret(5)
    );
    let docx = zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", document.as_bytes()),
    ]);
    let odt = zip_with(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.text",
            Method::Stored,
        ),
        ("content.xml", &creds(6), Method::Deflated),
    ]);
    for (bytes, n, path, line) in [
        (jar, 3, "BOOT-INF/classes/application.properties", 2),
        (whl, 4, "pkg/settings.py", 2),
        (docx, 5, "word/document.xml", 3),
        (odt, 6, "content.xml", 2),
    ] {
        let s = scan(&bytes);
        assert_eq!(places(&s.findings), [pair(n, line, path)]);
        assert_eq!(s.skipped, []);
    }
}

#[test]
fn compressed_tars_and_files() {
    let t = tar(&[("etc/app/creds", &creds(7))]);
    for (name, bytes) in [
        ("tar.bz2", bzip2(&t)),
        ("tar.xz", xz(&t)),
        ("tar.zst", zstd(&t)),
        ("tgz", gzip(&t)),
        ("tar", t.clone()),
    ] {
        let s = scan(&bytes);
        assert_eq!(places(&s.findings), [pair(7, 2, "etc/app/creds")], "{name}");
        assert_eq!(s.skipped, [], "{name}");
    }
    // A compressed file alone has no entries: the place is a line of its decompressed text.
    for (name, bytes) in [
        ("gz", gzip(&creds(8))),
        ("bz2", bzip2(&creds(8))),
        ("xz", xz(&creds(8))),
        ("zst", zstd(&creds(8))),
    ] {
        let s = scan(&bytes);
        assert_eq!(places(&s.findings), [pair(8, 2, "")], "{name}");
    }
    // Every method zip readers meet.
    for method in [Method::Stored, Method::Bzip2, Method::Zstd, Method::Xz] {
        let z = zip_with(&[("a/creds", &creds(9), method)]);
        assert_eq!(
            places(&scan(&z).findings),
            [pair(9, 2, "a/creds")],
            "{method:?}"
        );
    }
}

#[test]
fn an_encrypted_entry_is_reported_and_the_others_scanned() {
    let mut z = zip(&[
        ("public.env", &creds(10)),
        ("private.env", b"nothing readable without the password\n"),
        ("more/creds", &creds(11)),
    ]);
    flag_encrypted(&mut z, "private.env");
    let s = scan(&z);
    assert_eq!(
        places(&s.findings),
        [pair(10, 2, "public.env"), pair(11, 2, "more/creds")]
    );
    assert_eq!(skips(&s), ["encrypted private.env"]);
    // Nested: the skip names the whole path.
    let s = scan(&gzip(&tar(&[("dist/bundle.zip", &z)])));
    assert_eq!(skips(&s), ["encrypted dist/bundle.zip!private.env"]);
}

#[test]
fn a_zip_bomb_stops_at_the_ratio_limit_quickly_and_says_so() {
    use archive_fixtures::{crc32, deflate_bomb, raw_gzip, raw_zip, RawEntry};
    // 256 MiB of zeros after a credentials file, in 1.7 MB of deflate; then a small entry.
    let zeros = 256u64 << 20;
    let bomb = deflate_bomb(&creds(12), zeros);
    let size = (creds(12).len() as u64 + zeros) as u32;
    let after = creds(13);
    let z = raw_zip(&[
        RawEntry {
            name: "bomb.txt",
            method: 8,
            data: &bomb,
            size,
            crc: 0,
        },
        RawEntry {
            name: "after.env",
            method: 0,
            data: &after,
            size: after.len() as u32,
            crc: crc32(&after),
        },
    ]);
    let started = Instant::now();
    let s = scan(&z);
    let took = started.elapsed();
    // What came before the limit (the pair at the top) is scanned; so is the next entry.
    assert_eq!(
        places(&s.findings),
        [pair(12, 2, "bomb.txt"), pair(13, 2, "after.env")]
    );
    assert_eq!(skips(&s), ["ratio bomb.txt"]);
    let detail = &s.skipped[0].detail;
    assert!(detail.contains("ratio limit of 100:1"), "{detail}");
    // It stopped just past the 1 MiB floor, not at 100 times the whole entry.
    let stopped: u64 = detail
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{detail}"));
    assert!(stopped < (1 << 20) + (128 << 10), "{detail}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The same bomb as a gzip stream, nested in a tar.
    let gz = raw_gzip(&bomb, 0, size);
    let s = scan(&tar(&[("logs/huge.log.gz", &gz)]));
    assert_eq!(skips(&s), ["ratio logs/huge.log.gz"]);
    assert_eq!(places(&s.findings), [pair(12, 2, "logs/huge.log.gz")]);
    // Without a ratio limit, the bytes budget stops it.
    let s = Scanner::builder()
        .max_archive_ratio(0)
        .max_archive_bytes(4 << 20)
        .build()
        .scan_detailed(&gz);
    assert_eq!(skips(&s), ["too-many-bytes "]);
    assert_eq!(places(&s.findings), [pair(12, 2, "")]);
}

#[test]
fn the_decompressed_bytes_budget_and_the_entry_count_stop_a_whole_input() {
    let many: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| (format!("part{i:02}.txt"), vec![b'a'; 100_000]))
        .collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let z = zip(&refs);
    let s = Scanner::builder()
        .max_archive_bytes(1_000_000)
        .max_archive_ratio(0)
        .build()
        .scan_detailed(&z);
    assert_eq!(skips(&s), ["too-many-bytes part10.txt"]);
    let s = Scanner::builder()
        .max_archive_entries(5)
        .build()
        .scan_detailed(&z);
    assert_eq!(skips(&s), ["too-many-entries "]);
    // A nested bomb of many copies, each small: the budget is shared by all levels.
    let layer = zip(&refs);
    let copies: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| (format!("copy{i}.zip"), layer.clone()))
        .collect();
    let refs: Vec<(&str, &[u8])> = copies
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let s = Scanner::builder()
        .max_archive_bytes(5_000_000)
        .build()
        .scan_detailed(&zip(&refs));
    assert_eq!(skips(&s), ["too-many-bytes copy2.zip!part09.txt"]);
}

#[test]
fn truncated_archives_yield_what_they_hold_before_the_cut() {
    let mut text = creds(14);
    text.extend(filler(4 << 20));
    let gz = gzip(&text);
    let s = scan(&gz[..gz.len() / 2]);
    assert_eq!(places(&s.findings), [pair(14, 2, "")]);
    assert_eq!(skips(&s), ["truncated "]);
    assert!(
        s.skipped[0].detail.starts_with("gzip stream ends early"),
        "{}",
        s.skipped[0].detail
    );

    // A zip cut before its central directory: read by its local headers.
    let z = zip(&[
        ("a.env", &creds(15)),
        ("b.bin", &filler(1 << 20)),
        ("c.env", &creds(16)),
    ]);
    let cut = archive_fixtures::find(&z, b"PK\x01\x02").unwrap();
    let s = scan(&z[..cut]);
    assert_eq!(
        places(&s.findings),
        [pair(15, 2, "a.env"), pair(16, 2, "c.env")]
    );
    assert_eq!(skips(&s), ["truncated "]);
    // Cut in the middle of the second entry: the first, and the start of the second.
    let s = scan(&z[..z.len() / 3]);
    assert_eq!(places(&s.findings), [pair(15, 2, "a.env")]);
    assert!(
        skips(&s).contains(&"truncated ".to_string()),
        "{:?}",
        skips(&s)
    );

    // A tar.gz cut: the entries before the cut.
    let tgz = gzip(&tar(&[
        ("a.env", &creds(17)),
        ("filler", &filler(1 << 20)),
        ("b.env", &creds(18)),
    ]));
    let s = scan(&tgz[..tgz.len() / 2]);
    assert_eq!(places(&s.findings), [pair(17, 2, "a.env")]);
    assert_eq!(skips(&s), ["truncated "]);
}

#[test]
fn a_zip_appended_to_a_shell_script() {
    let mut sfx = format!(
        "#!/bin/sh\n# self-extracting installer\nexport AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={}\nexit 0\n",
        key(19),
        secret(19)
    )
    .into_bytes();
    sfx.extend(zip(&[("payload/config.ini", &creds(20))]));
    let s = scan(&sfx);
    assert_eq!(
        places(&s.findings),
        [pair(19, 3, ""), pair(20, 2, "payload/config.ini")]
    );
    assert_eq!(s.skipped, []);
}

#[test]
fn entries_with_the_same_name_are_all_scanned() {
    let z = duplicate_names("app.env", &creds(21), &creds(22));
    let s = scan(&z);
    let mut found = places(&s.findings);
    found.sort();
    let mut want = [pair(21, 2, "app.env"), pair(22, 2, "app.env")];
    want.sort();
    assert_eq!(found, want);
}

#[test]
fn bytes_that_only_look_like_archives_are_scanned_as_they_are() {
    let mut text = b"BZh9 is how bzip2 files start\n".to_vec();
    text.extend_from_slice(&creds(23));
    let s = scan(&text);
    assert_eq!(places(&s.findings), [pair(23, 3, "")]);
    assert_eq!(s.skipped, []);
    // A real signature with nothing decodable after it: reported, and scanned as is.
    let mut fake = b"\x1f\x8b\x08\x00garbage that inflates to nothing\n".to_vec();
    fake.extend_from_slice(&creds(24));
    let s = scan(&fake);
    assert_eq!(places(&s.findings), [pair(24, 3, "")]);
    assert_eq!(skips(&s).len(), 1, "{:?}", s.skipped);
    let mut pk = b"PK\x03\x04 is a local header, but nothing follows\n".to_vec();
    pk.extend_from_slice(&creds(25));
    let s = scan(&pk);
    assert_eq!(places(&s.findings), [pair(25, 3, "")]);
    assert_eq!(skips(&s), ["corrupt "]);
}

#[test]
fn nesting_deeper_than_the_limit_is_scanned_as_is_and_reported() {
    let mut bytes = zip_with(&[("creds", &creds(26), Method::Stored)]);
    for i in 0..3 {
        bytes = zip_with(&[(&format!("level{i}.zip"), &bytes, Method::Stored)]);
    }
    let s = scan(&bytes);
    assert_eq!(
        places(&s.findings),
        [pair(26, 2, "level2.zip!level1.zip!level0.zip!creds")]
    );
    let s = Scanner::builder()
        .max_archive_depth(2)
        .build()
        .scan_detailed(&bytes);
    // The third zip is not opened; its stored entry is still in its bytes.
    assert_eq!(skips(&s), ["too-deep level2.zip!level1.zip"]);
    assert_eq!(s.findings.len(), 1);
    assert_eq!(s.findings[0].key_id.as_ref().unwrap().as_str(), key(26));
    assert_eq!(
        s.findings[0].archive_path.to_string(),
        "level2.zip!level1.zip"
    );
    let s = Scanner::builder()
        .max_archive_depth(0)
        .build()
        .scan_detailed(&bytes);
    assert_eq!(s.skipped, []);
    assert_eq!(s.findings.len(), 1);
    assert!(s.findings[0].archive_path.is_empty());
}

#[test]
fn a_key_in_an_archive_and_in_a_file_is_one_credential() {
    let plain = Scanner::default().scan(&creds(27));
    let zipped = Scanner::default().scan(&zip(&[("x/creds", &creds(27))]));
    assert_eq!(plain.len(), 1);
    assert_eq!(zipped.len(), 1);
    assert_eq!(plain[0].fingerprint, zipped[0].fingerprint);
    assert_eq!(plain[0].kind, Kind::KeyPair);
    assert!(plain[0].archive_path.is_empty());
}

#[test]
fn every_path_in_gives_the_same_findings() {
    let mut big = creds(28);
    big.extend(filler(2 << 20));
    let bytes = gzip(&tar(&[
        ("a/b", &big),
        ("c.zip", &zip(&[("d", &creds(29))])),
    ]));
    let scanner = Scanner::default();
    let from_slice = scanner.scan_detailed(&bytes);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.tgz");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(scanner.scan_file_detailed(&path).unwrap(), from_slice);
    assert_eq!(
        scanner.scan_reader_detailed(&bytes[..]).unwrap(),
        from_slice
    );
    assert_eq!(
        Scanner::builder()
            .prefilter(Prefilter::Off)
            .build()
            .scan_detailed(&bytes),
        from_slice
    );
    assert_eq!(
        places(&from_slice.findings),
        [pair(28, 2, "a/b"), pair(29, 2, "c.zip!d")]
    );
}
