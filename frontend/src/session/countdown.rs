//! Time left in a session, from the server's two limits. Plain functions of `now`, so they are
//! tested without a browser or a clock.

use chrono::{DateTime, Duration, Utc};
use vigie_shared::api::session::SessionState;

/// How long before the idle limit the header warns (the session rules).
pub const WARNING: Duration = Duration::minutes(5);

/// Which limit closes the session first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// No activity for too long: "Rester connecté" pushes it back.
    Idle,
    /// The session's maximum length: nothing pushes it back.
    Absolute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Countdown {
    /// Never negative.
    pub left: Duration,
    pub limit: Limit,
}

impl Countdown {
    pub fn of(session: &SessionState, now: DateTime<Utc>) -> Self {
        let (end, limit) = if session.idle_expires_at <= session.absolute_expires_at {
            (session.idle_expires_at, Limit::Idle)
        } else {
            (session.absolute_expires_at, Limit::Absolute)
        };
        Self {
            left: (end - now).max(Duration::zero()),
            limit,
        }
    }

    pub fn is_over(&self) -> bool {
        self.left <= Duration::zero()
    }

    /// Close enough to the end to warn (and offer "Rester connecté" when that helps).
    pub fn warns(&self) -> bool {
        !self.is_over() && self.left <= WARNING
    }

    /// Minutes, rounded down ("59 min", "1 h 05 min"): changes once a minute, so the polite
    /// live region that shows it does not talk every second.
    pub fn in_words(&self) -> String {
        let minutes = self.left.num_minutes();
        match minutes {
            0 => "moins d'une minute".to_owned(),
            1..=59 => format!("{minutes} min"),
            _ => format!("{} h {:02} min", minutes / 60, minutes % 60),
        }
    }

    /// "4:59", for the visible countdown of the warning.
    pub fn as_clock(&self) -> String {
        let seconds = self.left.num_seconds();
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(now: DateTime<Utc>, idle_min: i64, absolute_min: i64) -> SessionState {
        SessionState {
            kind: vigie_shared::api::session::PrincipalKind::Professional,
            identifier: "810003456786".into(),
            stage: vigie_shared::api::session::SessionStage::Active,
            display_name: "Dr Jean Martin".into(),
            method: "passkey".into(),
            started_at: now,
            idle_expires_at: now + Duration::minutes(idle_min),
            absolute_expires_at: now + Duration::minutes(absolute_min),
            typist: None,
            authority: None,
            structure: None,
            security_officer: false,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000, 0).expect("timestamp")
    }

    #[test]
    fn the_nearest_limit_counts() {
        let c = Countdown::of(&session(now(), 60, 240), now() + Duration::seconds(1));
        assert_eq!(c.limit, Limit::Idle);
        assert_eq!(c.in_words(), "59 min");
        assert!(!c.warns());

        let c = Countdown::of(&session(now(), 60, 3), now());
        assert_eq!(c.limit, Limit::Absolute);
        assert!(c.warns());
        assert_eq!(c.as_clock(), "3:00");
    }

    #[test]
    fn warns_in_the_last_five_minutes_only() {
        let s = session(now(), 60, 240);
        let at = |minutes: i64, seconds: i64| {
            Countdown::of(
                &s,
                now() + Duration::minutes(minutes) + Duration::seconds(seconds),
            )
        };
        assert!(!at(54, 59).warns());
        assert!(at(55, 0).warns());
        assert_eq!(at(55, 1).as_clock(), "4:59");
        assert_eq!(at(55, 1).in_words(), "4 min");
        assert_eq!(at(59, 30).in_words(), "moins d'une minute");
        assert!(at(60, 0).is_over());
        assert!(!at(60, 0).warns());
        assert_eq!(at(75, 0).left, Duration::zero(), "never negative");
    }

    #[test]
    fn hours_are_spelled_out() {
        let c = Countdown::of(&session(now(), 125, 240), now());
        assert_eq!(c.in_words(), "2 h 05 min");
    }
}
