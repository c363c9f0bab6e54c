//! `--shard K/N`: which repositories one of N machines scans.
//!
//! A repository's shard depends on its name alone, never on the other repositories:
//!
//! ```text
//! key   = first 8 bytes, big-endian, of SHA-256(ASCII-lowercase(name))
//! shard = jump_consistent_hash(key, N) + 1        (Lamping & Veach, 2014)
//! ```
//!
//! `name` is the repository's name as reports show it (`owner/name` for repositories
//! found through the GitHub API, the URL as given otherwise). So the assignment is the
//! same on every machine and in every run, adding or removing a repository moves no other
//! repository to another shard, and growing from N to N+1 shards moves only about
//! 1/(N+1) of the repositories, each to the new shard (the property of the jump hash; a
//! plain `key mod N` would move almost all of them).

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind};

/// Shard K of N (1-based K).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Shard `index` (1-based) of `count`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] unless `1 <= index <= count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, Error> {
        if count == 0 || index == 0 || index > count {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("--shard {index}/{count}"),
                "K/N needs 1 <= K <= N",
            ));
        }
        Ok(Shard { index, count })
    }

    /// The whole set: one shard of one.
    pub fn all() -> Shard {
        Shard { index: 1, count: 1 }
    }

    /// K, 1-based.
    pub fn index(self) -> u32 {
        self.index
    }

    /// N.
    pub fn count(self) -> u32 {
        self.count
    }

    /// The shard (1-based) that the repository named `name` belongs to among `count`.
    pub fn of(name: &str, count: u32) -> u32 {
        let digest = Sha256::digest(name.to_ascii_lowercase().as_bytes());
        let mut key = [0u8; 8];
        key.copy_from_slice(&digest[..8]);
        jump_consistent_hash(u64::from_be_bytes(key), count.max(1)) + 1
    }

    /// Whether this shard scans the repository named `name`.
    pub fn contains(self, name: &str) -> bool {
        self.count <= 1 || Shard::of(name, self.count) == self.index
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// `K/N`.
    fn from_str(s: &str) -> Result<Shard, Error> {
        let bad = || {
            Error::new(
                ErrorKind::InvalidInput,
                format!("--shard {s}"),
                "expected K/N, e.g. 3/8",
            )
        };
        let (k, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let k = k.trim().parse().map_err(|_| bad())?;
        let n = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm" (2014): a bucket
/// in `0..buckets`, which changes, when `buckets` grows by one, only to the new bucket.
fn jump_consistent_hash(mut key: u64, buckets: u32) -> u32 {
    let mut b: i64 = -1;
    let mut j: i64 = 0;
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        // Exact in f64: (b + 1) < 2^32 and 2^31 / (k + 1) with k < 2^31.
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    // 0 <= b < buckets, because the loop runs at least once (buckets >= 1).
    u32::try_from(b.max(0)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("org/repo-{i}")).collect()
    }

    #[test]
    fn parses_k_of_n() {
        assert_eq!(
            "3/8".parse::<Shard>().map(|s| (s.index(), s.count())),
            Ok((3, 8))
        );
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_repository_is_in_exactly_one_shard() {
        for name in names(200) {
            let n = (1..=5)
                .filter(|k| Shard::new(*k, 5).is_ok_and(|s| s.contains(&name)))
                .count();
            assert_eq!(n, 1, "{name}");
        }
    }

    #[test]
    fn the_assignment_is_a_fixed_function_of_the_name() {
        // Pinned: machines running different builds must agree.
        let got: Vec<u32> = ["org/a", "org/b", "Org/A", "https://h.example/x.git"]
            .iter()
            .map(|n| Shard::of(n, 7))
            .collect();
        assert_eq!(got[0], got[2], "names are compared ignoring ASCII case");
        assert_eq!(got, PINNED.to_vec());
    }
    const PINNED: [u32; 4] = [3, 1, 3, 5];

    #[test]
    fn the_jump_hash_is_lamping_and_veach_s() {
        // Vectors of the reference implementations (the paper's C++, Guava, go-jump).
        for (key, buckets, bucket) in [
            (1, 1, 0),
            (42, 57, 43),
            (0xDEAD_10CC, 1, 0),
            (0xDEAD_10CC, 666, 361),
            (256, 1024, 520),
        ] {
            assert_eq!(
                jump_consistent_hash(key, buckets),
                bucket,
                "{key} {buckets}"
            );
        }
    }

    #[test]
    fn growing_the_set_or_the_shard_count_moves_little() {
        let all = names(1000);
        let before: Vec<u32> = all.iter().map(|n| Shard::of(n, 8)).collect();
        // Adding repositories: nothing else moves (the shard is a function of the name).
        let more = names(1100);
        assert!(more.iter().zip(&before).all(|(n, s)| Shard::of(n, 8) == *s));
        // A ninth shard: only about 1/9 move, all to the new shard.
        let after: Vec<u32> = all.iter().map(|n| Shard::of(n, 9)).collect();
        let moved: Vec<_> = before.iter().zip(&after).filter(|(a, b)| a != b).collect();
        assert!(moved.iter().all(|(_, b)| **b == 9));
        assert!((70..=160).contains(&moved.len()), "{} moved", moved.len());
        // And the shards are about even.
        for k in 1..=8 {
            let n = before.iter().filter(|s| **s == k).count();
            assert!((80..=170).contains(&n), "shard {k}: {n}");
        }
    }
}
