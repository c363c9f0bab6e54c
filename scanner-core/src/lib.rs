//! `scanner-core` finds leaked AWS credentials in bytes: access key IDs, secret access
//! keys, session tokens, and above all the **pairs** they form, which is what an attacker
//! can use.
//!
//! It is the detection engine of the `leakscan` command, made to be embedded: it takes
//! bytes and returns typed [`Finding`]s. It never prints, never exits, never walks
//! directories and never talks to the network; where the bytes come from (files, git
//! objects, a socket) is the caller's business.
//!
//! # Example
//!
//! ```
//! use scanner_core::{Kind, Scanner, Severity};
//!
//! // Built at run time so that this crate's own source holds no real-looking key.
//! let key_id = format!("AKIA{}", "Y2ZCQOUDA3HG7RJT");
//! let secret = format!("{}{}", "k1Hq9nT0bVz4+Lm7Pw2X", "Rj8Ys3Fd6Ga/Uc0Ni4Ko");
//! let config = format!("[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n");
//!
//! let scanner = Scanner::builder().build();
//! let findings = scanner.scan(config.as_bytes());
//!
//! assert_eq!(findings.len(), 1);
//! let f = &findings[0];
//! assert_eq!(f.kind, Kind::KeyPair);
//! assert_eq!(f.key_id.as_ref().map(|k| k.as_str()), Some(key_id.as_str()));
//! assert_eq!(f.secret.as_ref().map(|s| s.expose()), Some(secret.as_str()));
//! assert_eq!(f.severity, Severity::High);
//! assert_eq!((f.location.line, f.location.column), (2, 21));
//! // The account is decoded offline from the key ID.
//! assert!(f.facts.account_id.is_some());
//! // Secrets print redacted unless exposed on purpose.
//! assert_eq!(format!("{}", f.secret.as_ref().unwrap()), "k1Hq********");
//! ```
//!
//! # What is found
//!
//! - **Key IDs**: `AKIA`, `ASIA`, `ABIA`, `ACCA` followed by 16 base32 characters, as a
//!   whole token. IAM unique IDs (`AIDA`, `AROA`, ...) are not credentials and are never
//!   reported.
//! - **Secret access keys**: 40 characters of `[A-Za-z0-9+/]`, random-looking (hex strings
//!   such as git SHAs are rejected), either near a key ID or named by their context
//!   (`aws_secret_access_key`, `SecretAccessKey`, `AWSSecretKey`, `secret_key` in an `aws`
//!   block, ...).
//! - **Pairs**: each key ID with *its* secret, also when several credentials interleave
//!   (INI profiles, CSV rows, JSON lists); see [`Kind`].
//! - **Session tokens** attached to the temporary (`ASIA`) key they belong to.
//! - **Encoded forms**: JSON `\/` escapes, URL encoding, UTF-16 text, one level of base64,
//!   credentials inside binary files. Findings hold the decoded values.
//! - **Archives and compressed files**, by content and nested: zip and its family (jar,
//!   whl, docx, ...), tar, gzip, bzip2, xz, zstd. A finding inside one carries the entry
//!   in [`Finding::archive_path`]; [`Scanner::scan_detailed`] also says what could not be
//!   read ([`Skip`]: encrypted entries, limits reached, damaged archives), and the limits
//!   against decompression bombs are [`ScannerBuilder`] settings.
//! - **Offline facts** ([`Facts`]): the owning account, canary-token accounts, a likely
//!   root-user key, your own accounts, documentation examples.
//!
//! Each finding has a [`Fingerprint`] computed from its content alone, so the same
//! credential found in many places has one identity.
//!
//! # Verification
//!
//! Whether a key pair is live, whose it is and whether it is a root user's key is asked of
//! AWS STS by the separate `scanner-verify` crate, which takes these [`Finding`]s. This
//! crate has no network code at all.
//!
//! # Configuration
//!
//! [`ScannerBuilder`] sets what is reported (documentation examples, `leakscan:allow`
//! comments), your own and canary accounts, extra label vocabulary
//! ([`ScannerBuilder::label_pattern`]) and a size limit for readers and files
//! ([`ScannerBuilder::max_read_size`]; none by default). `examples/scan_bytes.rs` and
//! `examples/scan_dir.rs` are small programs that use it:
//! `cargo run -p scanner-core --example scan_dir -- DIR`.
//!
//! # Features
//!
//! - `archives` (default): the archive and compressed-stream readers (`zip`, `tar`,
//!   `flate2` on zlib-rs, `bzip2`, `lzma-rust2`, `zstd`). Without it, archives are scanned
//!   as the bytes they are and [`Scan::skipped`] is always empty.
//! - `serde`: `Serialize` and `Deserialize` for [`Finding`] and the types it is made of,
//!   in the names reports use (`"aws-key-pair"`, `"high"`, the fingerprint in hex). Off by
//!   default. **With it, a [`Secret`] serializes in clear text**: a serialized finding
//!   holds the secret access key and the session token, usable by whoever reads it. Redact
//!   before you store or send findings ([`Secret::redacted`]); `Debug` and `Display` stay
//!   redacted either way.
//!
//! # Performance
//!
//! A scan is one Aho-Corasick pass over a handful of literal anchors; everything else
//! happens in bounded windows around the rare places an anchor matched. Bytes without an
//! anchor cost nothing more. See `DESIGN.md` for the pipeline.

#![deny(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod archive;
mod assemble;
mod candidates;
mod confirm;
mod decode;
mod enrich;
mod error;
mod finding;
mod lines;
mod pair;
mod prefilter;
pub mod rules;
mod scanner;

pub use archive::{ArchivePath, Scan, Skip, SkipReason};
pub use error::{Error, ErrorKind};
pub use finding::{
    AccountId, Encoding, ExampleKind, Facts, Finding, Fingerprint, KeyId, KeyType, Kind, Location,
    Secret, Severity, Span,
};
pub use rules::LabelKind;
pub use scanner::{AllowComments, ExamplePolicy, Prefilter, Scanner, ScannerBuilder, ALLOW_MARKER};

/// Every public type is `Send + Sync`: a scanner is shared between threads, and findings
/// and errors cross them. Checked when the crate compiles.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Scanner>();
    assert_send_sync::<ScannerBuilder>();
    assert_send_sync::<ExamplePolicy>();
    assert_send_sync::<Prefilter>();
    assert_send_sync::<AllowComments>();
    assert_send_sync::<LabelKind>();
    assert_send_sync::<Finding>();
    assert_send_sync::<Kind>();
    assert_send_sync::<Severity>();
    assert_send_sync::<KeyId>();
    assert_send_sync::<KeyType>();
    assert_send_sync::<AccountId>();
    assert_send_sync::<Secret>();
    assert_send_sync::<Fingerprint>();
    assert_send_sync::<Location>();
    assert_send_sync::<Span>();
    assert_send_sync::<Encoding>();
    assert_send_sync::<Facts>();
    assert_send_sync::<ExampleKind>();
    assert_send_sync::<ArchivePath>();
    assert_send_sync::<Scan>();
    assert_send_sync::<Skip>();
    assert_send_sync::<SkipReason>();
    assert_send_sync::<Error>();
    assert_send_sync::<ErrorKind>();
};
