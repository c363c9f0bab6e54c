//! What a long run tells its caller while it goes: the library never prints, it hands
//! [`Event`]s to a callback (the CLI draws progress and says on stderr when it waits).

use std::time::{Duration, SystemTime};

/// Something worth telling while sources are enumerated and mirrored.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A source is being enumerated (`github org ORG`, ...).
    Enumerating {
        /// The source, as [`Source::name`](crate::Source::name) shows it.
        source: String,
    },
    /// GitHub's rate limit was reached: nothing is asked until `until`.
    RateLimited {
        /// How long.
        wait: Duration,
        /// Until when (the reset the headers announced).
        until: SystemTime,
    },
    /// A request failed in a way that may pass (5xx, network): tried again after `wait`.
    Retrying {
        /// The URL.
        what: String,
        /// Why (no token in it).
        reason: String,
        /// The backoff before the next attempt.
        wait: Duration,
    },
    /// A repository's mirror is being cloned (`clone`) or fetched, the `index`-th
    /// (1-based) of `total`.
    Mirroring {
        /// The repository's name.
        name: String,
        /// A first clone rather than a fetch into an existing mirror.
        clone: bool,
        /// 1-based.
        index: usize,
        /// How many repositories are mirrored in this run.
        total: usize,
    },
    /// A repository's mirror is done (fetched, unchanged, or failed: see its
    /// [`ResolvedRepo`](crate::ResolvedRepo)).
    Mirrored {
        /// The repository's name.
        name: String,
        /// 1-based.
        index: usize,
        /// How many repositories are mirrored in this run.
        total: usize,
    },
}

/// The callback that receives [`Event`]s; called from several threads when repositories
/// are mirrored in parallel.
pub type Events<'a> = &'a (dyn Fn(Event) + Sync);
