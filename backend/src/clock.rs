//! Time is a parameter: session and ceremony limits read the clock from here, so tests move
//! time forward instead of sleeping. In production the offset stays zero (moving it needs the
//! `testing` setting).

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Default, Clone)]
pub struct Clock {
    offset: Arc<RwLock<Duration>>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn advance(&self, by: Duration) {
        *self.offset.write().unwrap_or_else(|e| e.into_inner()) += by;
    }

    pub fn offset(&self) -> Duration {
        *self.offset.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, LocalResult, NaiveDate, TimeZone};
    use chrono_tz::Europe::Paris;
    use vigie_shared::paris;

    /// The hand-written Paris rule the app uses for typed times, against the time-zone database:
    /// every quarter hour from the campaign's start to 2035, both ways.
    #[test]
    fn paris_time_of_the_app_agrees_with_the_time_zone_database() {
        let mut local = NaiveDate::from_ymd_opt(2020, 12, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("start");
        let end = NaiveDate::from_ymd_opt(2035, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 45, 0))
            .expect("end");
        let (mut skipped, mut twice) = (0, 0);
        while local <= end {
            match (Paris.from_local_datetime(&local), paris::to_utc(local)) {
                (LocalResult::Single(at), Ok(ours)) => assert_eq!(ours, at.to_utc(), "{local}"),
                (LocalResult::Ambiguous(first, _), Ok(ours)) => {
                    twice += 1;
                    assert_eq!(ours, first.to_utc(), "{local}");
                }
                (LocalResult::None, Err(paris::NoSuchTime)) => skipped += 1,
                (theirs, ours) => panic!("{local}: database {theirs:?}, app {ours:?}"),
            }
            let instant = local.and_utc();
            assert_eq!(
                paris::from_utc(instant),
                instant.with_timezone(&Paris).naive_local(),
                "{instant}"
            );
            local += Duration::minutes(15);
        }
        // Four quarter hours skipped and four repeated each year, 2021 to 2035.
        assert_eq!((skipped, twice), (60, 60));
    }
}
