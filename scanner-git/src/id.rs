//! Object ids of either hash function git uses, as scanner-git's own types: gix's types stay
//! inside the crate, so that a gix upgrade never changes this crate's API.

use std::fmt;
use std::str::FromStr;

/// The hash function of a repository's objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum HashKind {
    /// SHA-1: 20-byte ids, 40 hex digits. Every repository unless created otherwise.
    Sha1,
    /// SHA-256: 32-byte ids, 64 hex digits (`git init --object-format=sha256`).
    Sha256,
}

impl HashKind {
    /// Length of an id in bytes.
    pub fn len_in_bytes(self) -> usize {
        match self {
            HashKind::Sha1 => 20,
            HashKind::Sha256 => 32,
        }
    }

    /// Length of an id in hex digits.
    pub fn len_in_hex(self) -> usize {
        2 * self.len_in_bytes()
    }

    /// Whether this build reads repositories of this kind (SHA-256 needs the `sha256`
    /// feature, on by default).
    pub fn is_supported(self) -> bool {
        match self {
            HashKind::Sha1 => true,
            HashKind::Sha256 => cfg!(feature = "sha256"),
        }
    }

    /// The name git gives it in `extensions.objectFormat`: `sha1` or `sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            HashKind::Sha1 => "sha1",
            HashKind::Sha256 => "sha256",
        }
    }

    /// The id git gives a blob with these contents (what `git hash-object` prints).
    ///
    /// # Panics
    ///
    /// Never for a supported kind; an unsupported one ([`HashKind::is_supported`]) hashes as
    /// SHA-1.
    pub fn blob_id(self, contents: &[u8]) -> ObjectId {
        let kind = match self {
            #[cfg(feature = "sha256")]
            HashKind::Sha256 => gix::hash::Kind::Sha256,
            _ => gix::hash::Kind::Sha1,
        };
        let id = gix::objs::compute_hash(kind, gix::objs::Kind::Blob, contents)
            .unwrap_or_else(|_| gix::ObjectId::null(kind));
        ObjectId::from_gix(id)
    }

    pub(crate) fn from_gix(kind: gix::hash::Kind) -> HashKind {
        match kind {
            #[cfg(feature = "sha256")]
            gix::hash::Kind::Sha256 => HashKind::Sha256,
            _ => HashKind::Sha1,
        }
    }
}

impl fmt::Display for HashKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The id of a git object (blob, tree, commit, tag), SHA-1 or SHA-256.
///
/// `Display` and `FromStr` use the full lowercase hex form git prints; ids order as their
/// bytes (and so as their hex forms).
///
/// ```
/// use scanner_git::{HashKind, ObjectId};
///
/// let id: ObjectId = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391".parse()?;
/// assert_eq!(id.kind(), HashKind::Sha1);
/// assert_eq!(id.to_string(), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
/// assert_eq!(id.as_bytes().len(), 20);
/// # Ok::<(), scanner_git::ParseObjectIdError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(gix::ObjectId);

impl ObjectId {
    /// The id of `bytes`, which must be a whole id (20 bytes for SHA-1, 32 for SHA-256).
    ///
    /// # Errors
    ///
    /// When `bytes` has another length.
    pub fn from_bytes(bytes: &[u8]) -> Result<ObjectId, ParseObjectIdError> {
        gix::ObjectId::try_from(bytes)
            .map(ObjectId)
            .map_err(|_| ParseObjectIdError::new(format!("{} bytes", bytes.len())))
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The hash function the id comes from.
    pub fn kind(&self) -> HashKind {
        HashKind::from_gix(self.0.kind())
    }

    /// Whether every byte is zero: git's "no object" (a new branch or a deletion in the
    /// pre-push protocol).
    pub fn is_null(&self) -> bool {
        self.0.is_null()
    }

    /// The first `len` hex digits (all of them if `len` is longer), as git abbreviates ids.
    pub fn to_hex_prefix(&self, len: usize) -> String {
        let mut hex = self.to_string();
        hex.truncate(len);
        hex
    }

    pub(crate) fn from_gix(id: gix::ObjectId) -> ObjectId {
        ObjectId(id)
    }

    pub(crate) fn to_gix(self) -> gix::ObjectId {
        self.0
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({})", self.0)
    }
}

impl FromStr for ObjectId {
    type Err = ParseObjectIdError;

    /// Parses 40 (SHA-1) or 64 (SHA-256) hex digits.
    fn from_str(s: &str) -> Result<ObjectId, ParseObjectIdError> {
        let lengths = [HashKind::Sha1, HashKind::Sha256].map(HashKind::len_in_hex);
        if !lengths.contains(&s.len()) {
            return Err(ParseObjectIdError::new(format!(
                "{s:?} has {} characters, not 40 or 64 hex digits",
                s.len()
            )));
        }
        if !HashKind::Sha256.is_supported() && s.len() == HashKind::Sha256.len_in_hex() {
            return Err(ParseObjectIdError::new(format!(
                "{s:?} is a SHA-256 id, and scanner-git was built without its sha256 feature"
            )));
        }
        gix::ObjectId::from_hex(s.as_bytes())
            .map(ObjectId)
            .map_err(|_| ParseObjectIdError::new(format!("{s:?} is not hexadecimal")))
    }
}

/// A string or byte slice that is not an object id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseObjectIdError {
    detail: String,
}

impl ParseObjectIdError {
    fn new(detail: String) -> ParseObjectIdError {
        ParseObjectIdError { detail }
    }
}

impl fmt::Display for ParseObjectIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an object id: {}", self.detail)
    }
}

impl std::error::Error for ParseObjectIdError {}

#[cfg(feature = "serde")]
impl serde::Serialize for ObjectId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ObjectId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ObjectId, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA1_EMPTY_BLOB: &str = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
    const SHA256_EMPTY_BLOB: &str =
        "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813";

    #[test]
    fn sha1_ids_parse_and_print_in_full() {
        let sha1: ObjectId = SHA1_EMPTY_BLOB.parse().expect("a valid SHA-1 id");
        assert_eq!(sha1.kind(), HashKind::Sha1);
        assert_eq!(sha1.to_string(), SHA1_EMPTY_BLOB);
        assert_eq!(sha1.as_bytes().len(), 20);
        assert_eq!(sha1.to_hex_prefix(12), &SHA1_EMPTY_BLOB[..12]);
        assert_eq!(sha1.to_hex_prefix(100), SHA1_EMPTY_BLOB);
        assert_eq!(
            ObjectId::from_bytes(sha1.as_bytes()).expect("20 bytes"),
            sha1
        );
    }

    #[cfg(feature = "sha256")]
    #[test]
    fn sha256_ids_parse_and_print_in_full() {
        let sha1: ObjectId = SHA1_EMPTY_BLOB.parse().expect("a valid SHA-1 id");
        let sha256: ObjectId = SHA256_EMPTY_BLOB.parse().expect("a valid SHA-256 id");
        assert_eq!(sha256.kind(), HashKind::Sha256);
        assert_eq!(sha256.to_string(), SHA256_EMPTY_BLOB);
        assert_eq!(sha256.as_bytes().len(), 32);
        assert_eq!(
            format!("{sha256:?}"),
            format!("ObjectId({SHA256_EMPTY_BLOB})")
        );
        assert_ne!(sha1, sha256);
        assert_eq!(
            ObjectId::from_bytes(sha256.as_bytes()).expect("32 bytes"),
            sha256
        );
    }

    #[test]
    fn the_empty_blob_ids_are_what_gix_computes() {
        let kinds: &[(gix::hash::Kind, &str)] = &[
            (gix::hash::Kind::Sha1, SHA1_EMPTY_BLOB),
            #[cfg(feature = "sha256")]
            (gix::hash::Kind::Sha256, SHA256_EMPTY_BLOB),
        ];
        for &(kind, hex) in kinds {
            let id = gix::objs::compute_hash(kind, gix::objs::Kind::Blob, b"")
                .expect("hashing an empty buffer cannot fail");
            let id = ObjectId::from_gix(id);
            assert_eq!(id.to_string(), hex);
            assert_eq!(id.kind().len_in_hex(), hex.len());
            assert_eq!(id.kind().len_in_bytes(), kind.len_in_bytes());
            assert!(id.kind().is_supported());
        }
    }

    #[cfg(not(feature = "sha256"))]
    #[test]
    fn sha256_ids_need_the_feature() {
        let e = SHA256_EMPTY_BLOB
            .parse::<ObjectId>()
            .expect_err("no SHA-256 here");
        assert!(e.to_string().contains("sha256 feature"), "{e}");
        assert!(!HashKind::Sha256.is_supported());
    }

    #[test]
    fn what_is_not_an_id_is_an_error() {
        for bad in [
            "",
            "e69de29b",
            &SHA1_EMPTY_BLOB[1..],
            &format!("{SHA1_EMPTY_BLOB}0"),
            &SHA1_EMPTY_BLOB.replace('e', "g"),
            &format!("{SHA1_EMPTY_BLOB}{}", &SHA1_EMPTY_BLOB[..24]).replace('9', " "),
        ] {
            let e = bad.parse::<ObjectId>().expect_err(bad);
            assert!(e.to_string().starts_with("not an object id: "), "{e}");
        }
        assert!(ObjectId::from_bytes(&[0; 21]).is_err());
    }

    #[test]
    fn null_ids_and_order() {
        let zero: ObjectId = "0".repeat(40).parse().expect("40 zeros");
        assert!(zero.is_null());
        #[cfg(feature = "sha256")]
        {
            let zero256: ObjectId = "0".repeat(64).parse().expect("64 zeros");
            assert!(zero256.is_null() && zero256.kind() == HashKind::Sha256);
        }
        let one: ObjectId = format!("{}1", "0".repeat(39)).parse().expect("an id");
        assert!(!one.is_null());
        assert!(zero < one, "ids order as their bytes");
    }

    #[cfg(all(feature = "serde", feature = "sha256"))]
    #[test]
    fn ids_serialize_as_hex() {
        let id: ObjectId = SHA256_EMPTY_BLOB.parse().expect("a valid SHA-256 id");
        let json = serde_json::to_string(&id).expect("serializable");
        assert_eq!(json, format!("\"{SHA256_EMPTY_BLOB}\""));
        let back: ObjectId = serde_json::from_str(&json).expect("deserializable");
        assert_eq!(back, id);
        assert!(serde_json::from_str::<ObjectId>("\"xyz\"").is_err());
    }
}
