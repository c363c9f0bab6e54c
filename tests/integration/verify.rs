//! `--verify` against a mock STS on loopback that checks every request's SigV4 signature
//! with the test secrets it knows, and answers as AWS would.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::hostile::{kill, spawn_in};
use crate::{credentials_file, json, key_id, secret};

// The signer is private to scanner-verify; the mock checks signatures with the same file,
// compiled in here on its own (it needs only hmac and sha2).
#[path = "../../scanner-verify/src/sigv4.rs"]
#[allow(dead_code)]
mod sigv4;

/// How the mock answers for one key.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Root,
    User,
    Invalid,
    Throttle,
    ServerError,
    Stall,
}

#[derive(Default)]
struct Seen {
    /// Requests per access key id.
    requests: HashMap<String, usize>,
    bad_signatures: usize,
    connections: usize,
}

struct MockSts {
    url: String,
    seen: Arc<Mutex<Seen>>,
}

impl MockSts {
    fn start(keys: HashMap<String, (String, Answer)>) -> MockSts {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Seen::default()));
        let keys = Arc::new(keys);
        let s = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (keys, seen) = (keys.clone(), s.clone());
                std::thread::spawn(move || serve(stream, &keys, &seen));
            }
        });
        MockSts { url, seen }
    }

    fn requests(&self, key: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .requests
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

fn serve(stream: TcpStream, keys: &HashMap<String, (String, Answer)>, seen: &Mutex<Seen>) {
    seen.lock().unwrap().connections += 1;
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    // One request per connection: the mock answers with `Connection: close`.
    {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();

        let auth = header("authorization").unwrap_or_default();
        let key = auth
            .split("Credential=")
            .nth(1)
            .and_then(|c| c.split('/').next())
            .unwrap_or_default()
            .to_string();
        *seen
            .lock()
            .unwrap()
            .requests
            .entry(key.clone())
            .or_default() += 1;
        let (status, text) = match keys.get(&key) {
            None => (403, error_xml("InvalidClientTokenId")),
            Some((secret, answer)) => {
                // Recompute the signature with the secret this mock knows.
                let token = header("x-amz-security-token");
                let creds = sigv4::Credentials {
                    access_key_id: &key,
                    secret_access_key: secret,
                    session_token: token.as_deref(),
                };
                let host = header("host").unwrap_or_default();
                let content_type = header("content-type").unwrap_or_default();
                let request = sigv4::Request {
                    method: "POST",
                    host: &host,
                    path: "/",
                    query: "",
                    headers: &[("content-type", content_type.as_str())],
                    payload: &body,
                };
                let date = header("x-amz-date").unwrap_or_default();
                let expected = sigv4::sign(&request, &creds, "us-east-1", "sts", &date);
                let want = expected
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                    .map(|(_, v)| v.clone());
                if want.as_deref() != Some(auth.as_str())
                    || body != b"Action=GetCallerIdentity&Version=2011-06-15"
                {
                    seen.lock().unwrap().bad_signatures += 1;
                    (403, error_xml("SignatureDoesNotMatch"))
                } else {
                    match answer {
                        Answer::Root => (
                            200,
                            identity("arn:aws:iam::123456789012:root", "123456789012"),
                        ),
                        Answer::User => (
                            200,
                            identity("arn:aws:iam::123456789012:user/ci", "AIDAEXAMPLEUSERID0001"),
                        ),
                        Answer::Invalid => (403, error_xml("InvalidClientTokenId")),
                        Answer::Throttle => (400, error_xml("Throttling")),
                        Answer::ServerError => (500, String::new()),
                        Answer::Stall => {
                            std::thread::sleep(Duration::from_secs(4));
                            (200, identity("arn:aws:iam::123456789012:user/late", "LATE"))
                        }
                    }
                }
            }
        };
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
        let _ = stream.write_all(response.as_bytes());
    }
}

fn identity(arn: &str, user: &str) -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{arn}</Arn><UserId>{user}</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
    )
}

fn error_xml(code: &str) -> String {
    format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>test</Message></Error></ErrorResponse>")
}

fn verification<'a>(doc: &'a Value, key: &str) -> &'a Value {
    &doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key)
        .unwrap()["verification"]
}

#[test]
fn every_sts_answer_gets_an_honest_status() {
    let answers = [
        (300, Answer::Root),
        (301, Answer::User),
        (302, Answer::Invalid),
        (303, Answer::Throttle),
        (304, Answer::ServerError),
        (305, Answer::Stall),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut keys = HashMap::new();
    for (seed, answer) in answers {
        keys.insert(key_id(seed), (secret(seed), answer));
        std::fs::write(
            dir.path().join(format!("k{seed}.ini")),
            credentials_file(seed),
        )
        .unwrap();
    }
    // Twice the same credential elsewhere: still one request.
    std::fs::write(
        dir.path().join("copy.env"),
        format!(
            "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\n",
            key_id(301),
            secret(301)
        ),
    )
    .unwrap();
    let sts = MockSts::start(keys);
    let (code, doc) = json(
        &[
            "scan",
            ".",
            "--verify",
            "--allow-non-aws-sts-endpoint",
            "--sts-endpoint",
            &sts.url,
            "--verify-timeout",
            "1",
        ],
        dir.path(),
    );
    assert_eq!(code, 1);
    assert_eq!(
        sts.seen.lock().unwrap().bad_signatures,
        0,
        "every request is signed correctly"
    );

    let v = verification(&doc, &key_id(300));
    assert_eq!(v["status"], "active");
    assert_eq!(v["arn"], "arn:aws:iam::123456789012:root");
    assert_eq!(v["root"], true);
    let root = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key_id(300).as_str())
        .unwrap();
    assert_eq!(root["severity"], "critical", "a live root key is critical");

    let v = verification(&doc, &key_id(301));
    assert_eq!(
        (v["status"].as_str(), v["root"].as_bool()),
        (Some("active"), Some(false))
    );
    assert_eq!(v["user_id"], "AIDAEXAMPLEUSERID0001");
    assert_eq!(sts.requests(&key_id(301)), 1, "one request per credential");

    let v = verification(&doc, &key_id(302));
    assert_eq!(
        (v["status"].as_str(), v["reason"].as_str()),
        (Some("inactive"), Some("InvalidClientTokenId"))
    );
    assert_eq!(sts.requests(&key_id(302)), 1, "a rejection is not retried");

    let v = verification(&doc, &key_id(303));
    assert_eq!(v["status"], "inconclusive", "throttling is never active");
    assert_eq!(
        sts.requests(&key_id(303)),
        3,
        "throttling is retried, 3 attempts in all"
    );
    let v = verification(&doc, &key_id(304));
    assert_eq!(v["status"], "inconclusive");
    assert_eq!(sts.requests(&key_id(304)), 3);
    let v = verification(&doc, &key_id(305));
    assert_eq!(v["status"], "inconclusive", "a stall times out: {v}");
    assert_eq!(sts.requests(&key_id(305)), 1, "a timeout is not retried");

    // The human report names the root key and tells its owner what to do.
    let r = crate::run(
        &[
            "scan",
            ".",
            "--verify",
            "--allow-non-aws-sts-endpoint",
            "--sts-endpoint",
            &sts.url,
            "--verify-timeout",
            "1",
        ],
        dir.path(),
    );
    assert!(r.stdout.contains("AWS root user key"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Deactivate the root access key, then delete it"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Enable MFA on the root user"),
        "{}",
        r.stdout
    );
}

#[test]
fn no_connection_without_verify_and_never_to_canary_accounts() {
    let dir = tempfile::tempdir().unwrap();
    // A key ID of a canary-token account (decoded offline: 534261010715).
    let canary = scanner_core_test_key(534_261_010_715);
    std::fs::write(
        dir.path().join("canary.ini"),
        format!(
            "aws_access_key_id = {canary}\naws_secret_access_key = {}\n",
            secret(310)
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("real.ini"), credentials_file(311)).unwrap();
    let mut keys = HashMap::new();
    keys.insert(key_id(311), (secret(311), Answer::User));
    keys.insert(canary.clone(), (secret(310), Answer::User));
    let sts = MockSts::start(keys);

    // --sts-endpoint requires --verify: a usage error, and no connection.
    let r = crate::run(
        &[
            "scan",
            ".",
            "--allow-non-aws-sts-endpoint",
            "--sts-endpoint",
            &sts.url,
        ],
        dir.path(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let (code, doc) = json(&["scan", "."], dir.path());
    assert_eq!(code, 1);
    assert_eq!(doc["findings"][0]["verification"], Value::Null);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        sts.seen.lock().unwrap().connections,
        0,
        "no --verify, no connection"
    );

    let (_, doc) = json(
        &[
            "scan",
            ".",
            "--verify",
            "--allow-non-aws-sts-endpoint",
            "--sts-endpoint",
            &sts.url,
        ],
        dir.path(),
    );
    let v = verification(&doc, &canary);
    assert_eq!(v["status"], "skipped");
    assert_eq!(
        sts.requests(&canary),
        0,
        "a canary token is never contacted"
    );
    assert_eq!(verification(&doc, &key_id(311))["status"], "active");

    // --fail-on active: a run whose keys are all inactive passes.
    let mut keys = HashMap::new();
    keys.insert(key_id(311), (secret(311), Answer::Invalid));
    let revoked = MockSts::start(keys);
    let (code, _) = json(
        &[
            "scan",
            ".",
            "--fail-on",
            "active",
            "--allow-non-aws-sts-endpoint",
            "--sts-endpoint",
            &revoked.url,
            "--verify",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "only active keys fail the run");
    let (code, _) = json(
        &[
            "scan",
            ".",
            "--fail-on",
            "active",
            "--allow-non-aws-sts-endpoint",
            "--sts-endpoint",
            &sts.url,
            "--verify",
        ],
        dir.path(),
    );
    assert_eq!(code, 1);
}

#[test]
fn when_the_paired_secret_is_rejected_the_other_secrets_near_the_key_are_tried() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("creds.ini"),
        format!(
            "aws_access_key_id = {}\naws_secret_access_key = {}\n# the previous value, still live\nold_secret = {}\n",
            key_id(320),
            secret(321),
            secret(320)
        ),
    )
    .unwrap();
    let mut keys = HashMap::new();
    keys.insert(key_id(320), (secret(320), Answer::User));
    let sts = MockSts::start(keys);
    let (code, doc) = json(
        &[
            "scan",
            ".",
            "--verify",
            "--allow-non-aws-sts-endpoint",
            "--sts-endpoint",
            &sts.url,
        ],
        dir.path(),
    );
    assert_eq!(code, 1);
    let pair = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key_id(320).as_str() && f["kind"] == "aws-key-pair")
        .unwrap();
    let v = &pair["verification"];
    assert_eq!(v["status"], "active", "{pair:#}");
    assert_eq!(v["secret_index"], 1);
    assert_eq!(
        pair["secret_redacted"],
        format!("{}********", &secret(320)[..4])
    );
    assert_eq!(
        sts.requests(&key_id(320)),
        2,
        "the paired secret, then the other one"
    );
    // The rejected attempt was a real signature mismatch, not a malformed request.
    assert_eq!(sts.seen.lock().unwrap().bad_signatures, 1);
}

#[test]
fn plain_http_is_refused_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let r = crate::run(
        &[
            "scan",
            ".",
            "--verify",
            "--allow-non-aws-sts-endpoint",
            "--sts-endpoint",
            "http://sts.amazonaws.com",
        ],
        dir.path(),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("plain http is allowed only to loopback"),
        "{}",
        r.stderr
    );
}

/// Regression (hardening issue, item 9): `--sts-endpoint https://any.host` was accepted,
/// so a mistyped or injected flag sent key IDs, signatures and session tokens to a
/// non-AWS host.
#[test]
fn sts_endpoint_must_be_an_aws_sts_host() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("creds.ini"), credentials_file(340)).unwrap();
    // A listener that would see any request: nothing may reach it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    for endpoint in [
        "https://any.host".to_string(),
        "https://sts.amazonaws.com@attacker.example".to_string(),
        "https://sts.amazonaws.com.attacker.example".to_string(),
        format!("http://127.0.0.1:{port}"),
    ] {
        let r = crate::run(
            &["scan", ".", "--verify", "--sts-endpoint", &endpoint],
            dir.path(),
        );
        assert_eq!(r.code, 2, "{endpoint}: {}", r.stderr);
        assert!(r.stderr.contains("--sts-endpoint"), "{}", r.stderr);
        assert!(
            r.stdout.is_empty(),
            "no report when the endpoint is refused"
        );
    }
    assert!(listener.accept().is_err(), "no connection was made");
    // With the loud opt-in a stand-in is accepted, and the run says where keys go.
    let r = crate::run(
        &[
            "scan",
            ".",
            "--verify",
            "--allow-non-aws-sts-endpoint",
            "--sts-endpoint",
            &format!("http://127.0.0.1:{port}"),
            "--verify-timeout",
            "1",
        ],
        dir.path(),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("go to http://127.0.0.1:")
            && r.stderr.contains("--allow-non-aws-sts-endpoint"),
        "the opt-in is said out loud: {}",
        r.stderr
    );
}

// scanner-verify's example program, compiled in so that its own code runs against the mock.
#[path = "../../scanner-verify/examples/verify.rs"]
#[allow(dead_code)]
mod example;

#[test]
fn the_scanner_verify_example_checks_each_pair_found_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(
        &path,
        format!("{}{}", credentials_file(330), credentials_file(331)),
    )
    .unwrap();
    let mut keys = HashMap::new();
    keys.insert(key_id(330), (secret(330), Answer::Root));
    keys.insert(key_id(331), (secret(331), Answer::Invalid));
    let sts = MockSts::start(keys);
    let path_arg = path.to_str().unwrap().to_owned();

    // The endpoint from the flag, then from the environment variable (the flag wins).
    let from_flag = example::Options::parse(
        [path_arg.clone(), "--endpoint".into(), sts.url.clone()],
        Some("https://elsewhere.invalid".into()),
    )
    .unwrap();
    let from_env = example::Options::parse([path_arg], Some(sts.url.clone())).unwrap();
    for options in [from_flag, from_env] {
        assert_eq!(options.endpoint.as_deref(), Some(sts.url.as_str()));
        let mut out = Vec::new();
        let active = example::run(&options, &mut out).unwrap();
        assert_eq!(active, 1);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "{}  line 2  active as arn:aws:iam::123456789012:root  (root user key, account 123456789012)\n\
                 {}  line 5  inactive (InvalidClientTokenId)\n",
                key_id(330),
                key_id(331)
            )
        );
    }
    assert_eq!(sts.seen.lock().unwrap().bad_signatures, 0);
    assert_eq!(sts.requests(&key_id(330)), 2, "one request per run");

    // Plain http beyond loopback is refused before anything is read or sent.
    let refused = example::Options::parse(
        [
            "missing".into(),
            "--endpoint".into(),
            "http://sts.amazonaws.com".into(),
        ],
        None,
    )
    .unwrap();
    let e = example::run(&refused, &mut Vec::new()).unwrap_err();
    assert!(e.to_string().starts_with("--endpoint: "), "{e}");
}

/// An AKIA key ID whose body encodes `account`, as AWS does since 2019.
fn scanner_core_test_key(account: u64) -> String {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let z: u128 = (1u128 << 47) | (u128::from(account) << 7) | 0x15;
    let bits: u128 = (z << 32) | 0x1234_5678;
    let body: String = (0..16)
        .map(|i| char::from(B32[((bits >> (75 - 5 * i)) & 31) as usize]))
        .collect();
    format!("{}{body}", "AKIA")
}

#[test]
fn a_signal_during_verification_stops_the_questions_and_marks_the_rest_unverified() {
    // Six keys the mock answers only after 4 s, asked one at a time: without the stop,
    // verification would take about 18 s (a 3 s timeout each).
    let dir = tempfile::tempdir().unwrap();
    let mut keys = HashMap::new();
    for seed in 320..326 {
        keys.insert(key_id(seed), (secret(seed), Answer::Stall));
        std::fs::write(
            dir.path().join(format!("k{seed}.ini")),
            credentials_file(seed),
        )
        .unwrap();
    }
    let sts = MockSts::start(keys);
    let started = std::time::Instant::now();
    let child = spawn_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--format",
            "json",
            "--verify",
            "--allow-non-aws-sts-endpoint",
            "--sts-endpoint",
            &sts.url,
            "--verify-timeout",
            "3",
            "--verify-concurrency",
            "1",
        ],
    );
    // The first question is under way: now the signal.
    while sts.seen.lock().unwrap().requests.values().sum::<usize>() == 0 {
        assert!(started.elapsed() < Duration::from_secs(60), "no request");
        std::thread::sleep(Duration::from_millis(20));
    }
    kill(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let asked: usize = sts.seen.lock().unwrap().requests.values().sum();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(asked <= 2, "{asked} keys asked about after the signal");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["stats"]["incomplete"],
        "interrupted by SIGINT during verification (keys not yet asked about are not verified)"
    );
    let mut interrupted = 0;
    for seed in 320..326 {
        let v = verification(&doc, &key_id(seed));
        if v["reason"] == "not asked: the run was interrupted" {
            assert_eq!(v["status"], "skipped", "{v}");
            interrupted += 1;
        } else {
            assert_eq!(v["status"], "inconclusive", "never a verdict: {v}");
        }
    }
    assert_eq!(interrupted, 6 - asked, "every key not asked about says so");
    // Every finding is still reported.
    assert_eq!(doc["findings"].as_array().unwrap().len(), 6);
}
