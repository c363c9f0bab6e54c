//! The `serde` feature: findings survive a round trip through JSON, in the names reports
//! use. Run with `cargo test -p scanner-core --features serde`.

#![cfg(feature = "serde")]
#![allow(clippy::unwrap_used)]

mod harness;

use scanner_core::{AccountId, ExamplePolicy, Finding, Fingerprint, KeyId, Scanner};

#[test]
fn every_example_finding_round_trips_through_json() {
    let scanner = Scanner::builder().examples(ExamplePolicy::Report).build();
    let mut seen = 0;
    for e in harness::load() {
        let mut slots = harness::Slots::default();
        let bytes = harness::encode(harness::expand(&e.text, &mut slots), e.encoding.as_deref());
        for f in scanner.scan(&bytes) {
            let json = serde_json::to_string(&f).unwrap();
            let back: Finding = serde_json::from_str(&json).unwrap();
            assert_eq!(back, f, "{json}");
            seen += 1;
        }
    }
    assert!(seen > 40, "{seen} findings");
}

#[test]
fn json_uses_the_report_names_and_holds_the_secret_in_clear() {
    let key = harness::key_id("AKIA", "K1", Some(123_456_789_012));
    let secret = harness::secret("S1");
    let text = format!("aws_access_key_id = {key}\naws_secret_access_key = {secret}\n");
    let f = &Scanner::default().scan(text.as_bytes())[0];
    let v: serde_json::Value = serde_json::to_value(f).unwrap();
    assert_eq!(v["kind"], "aws-key-pair");
    assert_eq!(v["severity"], "high");
    assert_eq!(v["encoding"], "plain");
    assert_eq!(v["key_id"], key.as_str());
    assert_eq!(
        v["secret"],
        secret.as_str(),
        "in clear: the feature's documented cost"
    );
    assert_eq!(v["fingerprint"], f.fingerprint.to_string().as_str());
    assert_eq!(v["facts"]["account_id"], "123456789012");
    assert_eq!(v["facts"]["key_type"], "long-term");
    assert_eq!(v["location"]["line"], 1);
    assert_eq!(v["location"]["span"]["start"], 20);
    // Debug stays redacted with the feature on.
    assert!(!format!("{f:?}").contains(&secret));
}

#[test]
fn malformed_values_are_rejected() {
    assert!(serde_json::from_str::<KeyId>("\"AIDAQQQQQQQQQQQQQQQQ\"").is_err());
    assert!(serde_json::from_str::<KeyId>("\"AK\"").is_err());
    assert!(serde_json::from_str::<AccountId>("\"12345\"").is_err());
    assert!(serde_json::from_str::<Fingerprint>("\"abc\"").is_err());
    let account: AccountId = serde_json::from_str("\"000000000007\"").unwrap();
    assert_eq!(account.get(), 7);
    assert_eq!(serde_json::to_string(&account).unwrap(), "\"000000000007\"");
}
