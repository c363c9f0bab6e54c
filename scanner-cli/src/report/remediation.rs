//! What to do about a leaked credential: one text per kind of finding, written once here
//! and used by every report that says it — the human report under each credential, the
//! JSON report's `remediation`, the SARIF rules' `help`.
//!
//! Each text is what the owner of the key does, in order. Rotation comes before history
//! clean-up in every one: a key pushed once may have been copied already (GitHub keeps
//! pull-request refs and caches, forks keep their own copies), so deleting it from history
//! protects nothing until the key itself is dead.

use scanner_core::{KeyType, Kind};

use super::Credential;

/// The kinds of finding that call for different remediation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remediation {
    /// A root user's access key: the console's rootkey.csv, or verified so by STS.
    RootKey,
    /// A long-term (`AKIA`) access key of an IAM user, with its secret.
    LongTermKey,
    /// Temporary (`ASIA`) credentials from STS, with their secret.
    TemporaryKey,
    /// A secret access key without its key ID.
    SecretKey,
    /// An access key ID without its secret.
    KeyId,
    /// A canary token: a tripwire key planted to detect whoever uses it.
    Canary,
}

/// Every kind, in the order of danger.
#[cfg(test)]
pub const ALL: [Remediation; 6] = [
    Remediation::RootKey,
    Remediation::LongTermKey,
    Remediation::TemporaryKey,
    Remediation::SecretKey,
    Remediation::KeyId,
    Remediation::Canary,
];

/// History clean-up, the last step of every key that may still be used.
const CLEAN_HISTORY: &str = "\
Only then clean the history: remove the key from the file and from every commit (for \
example `git filter-repo --replace-text`), force-push, and have forks, mirrors and CI \
caches purged. GitHub keeps pull-request refs (refs/pull/*) and cached views of removed \
commits, so the key stays readable after a rewrite: rotation, not clean-up, is what \
protects you.";

const ROOT_KEY: &str = "\
An access key of an AWS account's root user: the most powerful credential the account \
has. No IAM policy can limit it; whoever holds it can change billing, lock you out and \
close the account. Act now.

1. Deactivate the root access key, then delete it: sign in as the root user, open \
Security credentials. The root user should have no access keys at all.
2. Check AWS CloudTrail (all regions) for calls made with the key since it leaked, and \
undo what you did not do: new IAM users, roles and keys, instances, changed policies.
3. Use IAM roles (or IAM users and IAM Identity Center users with least privilege) for \
everyday and programmatic access instead of the root user.
4. Enable MFA on the root user.
5. Keep the root user's email address on a company-owned distribution list, not one \
person's mailbox, so that the account can be recovered and AWS's notices are read.
6. ";

const LONG_TERM_KEY: &str = "\
A long-term access key ID with its secret: a usable credential with every permission of \
the IAM user it belongs to. Treat it as compromised: whoever can read this file, or any \
commit of its history, can use it.

1. In IAM, find the key (its access key ID; the account ID is decoded from it) and who \
uses it. Create a replacement key, or better, move its users to an IAM role with \
temporary credentials.
2. Deactivate the leaked key, watch that nothing legitimate breaks, then delete it. \
Deactivating is what protects you: deleting the text does not.
3. Check AWS CloudTrail for calls made with the key since it leaked.
4. ";

const TEMPORARY_KEY: &str = "\
Temporary (ASIA) credentials from AWS STS, with their secret: usable until they expire \
(from 15 minutes up to 36 hours), with the permissions of the role or user that issued \
them.

1. If they may still be valid, revoke the role's active sessions (IAM console, the role, \
Revoke active sessions), which denies every session issued before now.
2. Find what issued them: a role assumed by a CI job, an instance or a developer's \
session; if a long-term key was used to get them, rotate that key too.
3. Check AWS CloudTrail for calls made with the key ID.
4. ";

const SECRET_KEY: &str = "\
A secret access key without its access key ID. Treat the key it belongs to as \
compromised: its key ID may be in another file, another commit, or easy to guess from \
the context.

1. Find the access key ID it belongs to (nearby configuration, the same deployment's \
other files, the IAM console's list of access keys and their last use).
2. Deactivate that key, then delete it, after creating a replacement if it is needed.
3. Check AWS CloudTrail for calls made with the key since it leaked.
4. ";

const KEY_ID: &str = "\
An access key ID without its secret. Not usable alone, but it discloses the AWS account \
ID, and its secret may be in another file or another commit.

1. Look for its secret access key elsewhere in this repository and its history (a \
leakscan scan of the whole history finds it if it is there).
2. Check whether the key is still active (IAM console, or the IAM credential report). If \
it is and its secret may have leaked too, deactivate it, then delete it.
3. Remove the key ID from the file; there is nothing to purge from history unless its \
secret was there too.";

const CANARY: &str = "\
A canary token: a key planted on purpose so that whoever uses it sets off an alert. Do \
not use it or try it: its owner is told at the first call, with the caller's address.

1. If you planted it, nothing leaked: leave it, or accept it with a `leakscan:allow` \
comment or a baseline.
2. If you did not, tell your security team: someone placed a tripwire in this code, or \
copied code that held one.";

impl Remediation {
    /// The remediation a credential calls for: a canary first (it must never be used),
    /// then a root key, then by what was found.
    pub fn of(c: &Credential) -> Remediation {
        if c.facts.canary {
            return Remediation::Canary;
        }
        if c.is_root_key() {
            return Remediation::RootKey;
        }
        match c.kind {
            Kind::KeyId => Remediation::KeyId,
            Kind::SecretKey => Remediation::SecretKey,
            _ if c.facts.key_type == Some(KeyType::Temporary) => Remediation::TemporaryKey,
            _ => Remediation::LongTermKey,
        }
    }

    /// A short name, as the SARIF results' `properties.remediation` give it.
    pub fn id(self) -> &'static str {
        match self {
            Remediation::RootKey => "root-key",
            Remediation::LongTermKey => "long-term-key",
            Remediation::TemporaryKey => "temporary-key",
            Remediation::SecretKey => "secret-key",
            Remediation::KeyId => "key-id",
            Remediation::Canary => "canary",
        }
    }

    /// A title for the kind, as the human report names it.
    pub fn title(self) -> &'static str {
        match self {
            Remediation::RootKey => "a root user's access key",
            Remediation::LongTermKey => "a long-term access key pair",
            Remediation::TemporaryKey => "temporary credentials",
            Remediation::SecretKey => "a secret access key alone",
            Remediation::KeyId => "an access key ID alone",
            Remediation::Canary => "a canary token",
        }
    }

    /// What was found, why it matters, and the numbered steps: paragraphs separated by an
    /// empty line, one step per line, ending in a newline.
    pub fn text(self) -> String {
        let body = match self {
            Remediation::RootKey => ROOT_KEY,
            Remediation::LongTermKey => LONG_TERM_KEY,
            Remediation::TemporaryKey => TEMPORARY_KEY,
            Remediation::SecretKey => SECRET_KEY,
            Remediation::KeyId => return format!("{KEY_ID}\n"),
            Remediation::Canary => return format!("{CANARY}\n"),
        };
        // The steps that end in history clean-up end with the same words.
        format!("{body}{CLEAN_HISTORY}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_numbered_steps_and_ends_in_a_newline() {
        for r in ALL {
            let text = r.text();
            assert!(text.contains("\n1. "), "{r:?}");
            assert!(text.ends_with(".\n"), "{r:?}");
            assert!(!text.contains("\n\n\n"), "{r:?}");
        }
        for r in [
            Remediation::RootKey,
            Remediation::LongTermKey,
            Remediation::SecretKey,
        ] {
            let text = r.text();
            assert!(text.contains("eactivate"), "{r:?}");
            assert!(text.contains("CloudTrail"), "{r:?}");
            // Rotation first, history after.
            assert!(
                text.find("eactivate") < text.find("git filter-repo"),
                "{r:?}"
            );
            assert!(text.contains("refs/pull"), "{r:?}");
        }
        let root = Remediation::RootKey.text();
        for needle in [
            "Deactivate the root access key, then delete it",
            "IAM roles",
            "Enable MFA on the root user",
            "company-owned distribution list",
        ] {
            assert!(root.contains(needle), "{needle}");
        }
    }
}
