//! Commit times, as git stores them: seconds since the Unix epoch and the author's offset
//! from UTC.

use std::fmt;

/// A point in time as a commit records it: seconds since 1970-01-01 UTC, and the offset
/// from UTC of the clock that wrote it.
///
/// `Display` is ISO 8601 with the offset, as the reports show it.
///
/// ```
/// use scanner_git::CommitTime;
///
/// let t = CommitTime::new(1_700_000_360, 2 * 3600);
/// assert_eq!(t.to_string(), "2023-11-15T00:19:20+02:00");
/// assert_eq!(t.seconds(), 1_700_000_360);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CommitTime {
    seconds: i64,
    offset: i32,
}

impl CommitTime {
    /// `seconds` since the Unix epoch, written at `offset_seconds` east of UTC (negative
    /// west of it).
    pub fn new(seconds: i64, offset_seconds: i32) -> CommitTime {
        CommitTime {
            seconds,
            offset: offset_seconds,
        }
    }

    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub fn seconds(&self) -> i64 {
        self.seconds
    }

    /// The offset from UTC in seconds, east positive.
    pub fn offset_seconds(&self) -> i32 {
        self.offset
    }

    pub(crate) fn from_gix(t: gix::date::Time) -> CommitTime {
        CommitTime::new(t.seconds, t.offset)
    }
}

impl fmt::Display for CommitTime {
    /// `YYYY-MM-DDTHH:MM:SS+HH:MM` in the commit's own offset; the bare seconds for a time
    /// no calendar can show.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &gix::date::Time::new(self.seconds, self.offset)
                .format_or_unix(gix::date::time::format::ISO8601_STRICT),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::CommitTime;

    #[test]
    fn times_show_in_iso_8601_with_their_offset() {
        assert_eq!(
            CommitTime::new(1_700_000_360, 0).to_string(),
            "2023-11-14T22:19:20+00:00"
        );
        assert_eq!(
            CommitTime::new(1_700_000_360, -(5 * 3600 + 30 * 60)).to_string(),
            "2023-11-14T16:49:20-05:30"
        );
        assert_eq!(
            CommitTime::new(0, 3600).to_string(),
            "1970-01-01T01:00:00+01:00"
        );
        assert_eq!(
            CommitTime::new(-1, 0).to_string(),
            "1969-12-31T23:59:59+00:00"
        );
    }

    #[test]
    fn times_out_of_the_calendar_show_their_seconds() {
        assert_eq!(
            CommitTime::new(i64::MAX, 0).to_string(),
            i64::MAX.to_string()
        );
    }

    #[test]
    fn accessors_give_back_what_was_stored() {
        let t = CommitTime::new(42, -7200);
        assert_eq!((t.seconds(), t.offset_seconds()), (42, -7200));
        assert!(CommitTime::new(1, 0) < CommitTime::new(2, 0));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn times_round_trip_through_serde() {
        let t = CommitTime::new(1_700_000_360, 3600);
        let json = serde_json::to_string(&t).expect("serializable");
        assert_eq!(json, r#"{"seconds":1700000360,"offset":3600}"#);
        assert_eq!(
            serde_json::from_str::<CommitTime>(&json).expect("deserializable"),
            t
        );
    }
}
