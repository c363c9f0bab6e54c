//! What to do about a leaked credential, for every report that says it: one text per kind
//! of finding, written once here.
//!
//! Two wordings exist for a root user's key, each kept byte for byte as the reports have
//! always printed it: the full steps in the SARIF rule's help ([`Remediation::steps`] of
//! [`Remediation::RootKeyPair`]), and the condensed checklist the human report prints under
//! a key STS confirmed to be a live root key ([`live_root_key`]).

use scanner_core::Kind;

use super::Credential;

/// The kinds of finding that call for different remediation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remediation {
    /// A root user's access key pair (the console's rootkey.csv, or verified so by STS).
    RootKeyPair,
    /// An access key ID with its secret.
    KeyPair,
    /// A secret access key without its key ID.
    SecretKey,
    /// An access key ID without its secret.
    KeyId,
}

/// Steps shared by every kind of finding for a key that may still be active.
const ROTATE_STEPS: &str = "\
1. In IAM, find the key (its access key ID, and the account ID leakscan decodes from it) and \
who uses it. If it is still needed, create a replacement key, or better, move its users to an \
IAM role with temporary credentials.
2. Deactivate the leaked access key, watch that nothing legitimate breaks, then delete it. \
Deactivating the key is what protects you: deleting the text does not.
3. Review AWS CloudTrail for calls made with the key since it leaked.
4. Remove the key from the file and from the repository's history (for example with \
git filter-repo), force-push, and have forks, mirrors and CI caches purged.";

/// Steps for a root user's access key.
const ROOT_STEPS: &str = "\
1. Sign in as the root user, open Security credentials, deactivate the root access key, then \
delete it. The root user should have no access keys at all.
2. Use IAM roles (or IAM users and IAM Identity Center users with least-privilege \
permissions) for everyday and programmatic access instead of the root user.
3. Enable MFA on the root user.
4. Keep the root user's email address on a company-owned distribution list, not one person's \
mailbox, so that the account can be recovered and its notices are read.
5. Review AWS CloudTrail for calls made with the key, and remove the key from the file and \
from the repository's history (for example with git filter-repo), force-push, and have forks, \
mirrors and CI caches purged.";

/// What the owner of a live root user key must do, in order: the condensed form of
/// [`ROOT_STEPS`] the human report prints under the verification line.
const LIVE_ROOT_KEY: [&str; 5] = [
    "This key signs in as the account's root user: no IAM policy can limit it.",
    "1. Deactivate, then delete the root access key (Security credentials, as the root user).",
    "2. Use IAM roles or IAM users with least privilege instead; the root user needs no keys.",
    "3. Enable MFA on the root user.",
    "4. Keep the root email on a company-owned distribution list, not one person's mailbox.",
];

impl Remediation {
    /// The remediation a credential calls for.
    pub fn of(c: &Credential) -> Remediation {
        if c.is_root_key() {
            return Remediation::RootKeyPair;
        }
        match c.kind {
            Kind::KeyId => Remediation::KeyId,
            Kind::SecretKey => Remediation::SecretKey,
            _ => Remediation::KeyPair,
        }
    }

    /// What was found and why it matters.
    pub fn finding(self) -> &'static str {
        match self {
            Remediation::RootKeyPair => {
                "An access key of an AWS account's root user was found with its secret. It is \
                 the most powerful credential an AWS account has: act now."
            }
            Remediation::KeyPair => {
                "An AWS access key ID and its secret access key were found together. Treat \
                 the key as compromised: whoever can read this file, or any commit of its \
                 history, can use it. Temporary (ASIA) keys expire by themselves, but revoke \
                 the role's active sessions if they may still be valid."
            }
            Remediation::SecretKey => {
                "An AWS secret access key was found. Treat the key it belongs to as \
                 compromised: its access key ID may be in another file, another commit, or \
                 easy to guess from the context."
            }
            Remediation::KeyId => {
                "An AWS access key ID was found without its secret. It discloses the AWS \
                 account ID, and its secret may be in another file or another commit."
            }
        }
    }

    /// What to do before the steps, when the credential is only half of one.
    pub fn first(self) -> Option<&'static str> {
        match self {
            Remediation::RootKeyPair | Remediation::KeyPair => None,
            Remediation::SecretKey => Some(
                "First find the access key ID this secret belongs to (nearby \
                 configuration, the same deployment's other files, or the IAM console's \
                 list of access keys and their last use), then rotate that key:",
            ),
            Remediation::KeyId => Some(
                "First check whether the key is still active (IAM console, or the IAM \
                 credential report), and look for its secret access key elsewhere in this \
                 repository and its history. If the key is active and its secret may have \
                 leaked too, rotate it:",
            ),
        }
    }

    /// The numbered steps, one per line.
    pub fn steps(self) -> &'static str {
        match self {
            Remediation::RootKeyPair => ROOT_STEPS,
            _ => ROTATE_STEPS,
        }
    }

    /// [`finding`](Self::finding), [`first`](Self::first) and [`steps`](Self::steps) as
    /// paragraphs, ending in a newline.
    pub fn text(self) -> String {
        match self.first() {
            Some(first) => format!("{}\n\n{first}\n\n{}\n", self.finding(), self.steps()),
            None => format!("{}\n\n{}\n", self.finding(), self.steps()),
        }
    }
}

/// What the human report prints under a key STS verified as a live root user key.
pub fn live_root_key() -> &'static [&'static str] {
    &LIVE_ROOT_KEY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_remediation_says_to_deactivate_and_ends_its_text_in_a_newline() {
        for r in [
            Remediation::RootKeyPair,
            Remediation::KeyPair,
            Remediation::SecretKey,
            Remediation::KeyId,
        ] {
            let text = r.text();
            assert!(text.contains("eactivate"), "{r:?}");
            assert!(text.ends_with(".\n"), "{r:?}");
        }
        assert!(live_root_key()
            .iter()
            .any(|l| l.contains("Deactivate, then delete the root access key")));
    }
}
