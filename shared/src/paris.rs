//! Paris civil time, for the date-times a person types: "24/10/2026 10:30" means 10:30 in Paris
//! on that date (summer or winter time as it was then), whatever the device's own zone or
//! today's offset.
//!
//! France follows the European Union rule: summer time (UTC+2) from 01:00 UTC on the last
//! Sunday of March to 01:00 UTC on the last Sunday of October, UTC+1 otherwise. The rule has
//! held since 1996, long before the first date Vigie accepts (the campaign began in December
//! 2020). It is written here rather than taken from a time-zone database so that the
//! WebAssembly app, which needs this one zone, does not carry the whole database; the backend
//! tests check it against `chrono-tz` over years of quarter hours.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// A Paris wall-clock time that never existed: the hour skipped when clocks go forward
/// (02:00–02:59 on the last Sunday of March), or a time beyond the calendar's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoSuchTime;

/// The UTC instant of a Paris wall-clock time. In the hour that happens twice (02:00–02:59 on
/// the last Sunday of October) the first one, still summer time, is meant.
pub fn to_utc(local: NaiveDateTime) -> Result<DateTime<Utc>, NoSuchTime> {
    let (starts, ends) = summer(local.year());
    let read_as = |hours| {
        local
            .checked_sub_signed(Duration::hours(hours))
            .map(|t| Utc.from_utc_datetime(&t))
            .ok_or(NoSuchTime)
    };
    // Read as summer time, right when that instant falls inside summer; as winter time, when
    // outside. Neither: the skipped hour.
    let as_summer = read_as(2)?;
    if as_summer >= starts && as_summer < ends {
        return Ok(as_summer);
    }
    let as_winter = read_as(1)?;
    if as_winter < starts || as_winter >= ends {
        return Ok(as_winter);
    }
    Err(NoSuchTime)
}

/// The Paris wall-clock time of an instant.
pub fn from_utc(at: DateTime<Utc>) -> NaiveDateTime {
    let (starts, ends) = summer(at.year());
    let offset = if at >= starts && at < ends { 2 } else { 1 };
    at.naive_utc()
        .checked_add_signed(Duration::hours(offset))
        .unwrap_or(at.naive_utc())
}

/// The instants summer time starts and ends in `year`.
fn summer(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let at_one = |month| {
        let day = last_sunday(year, month);
        Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0).unwrap_or_default())
    };
    (at_one(3), at_one(10))
}

/// The last Sunday of a month with 31 days (March, October).
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let last = NaiveDate::from_ymd_opt(year, month, 31).unwrap_or_default();
    let back = last.weekday().num_days_from_sunday();
    last - Duration::days(i64::from(back))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        local(s).and_utc()
    }

    #[test]
    fn the_2026_changes_fall_on_the_29th_of_march_and_the_25th_of_october() {
        assert_eq!(
            last_sunday(2026, 3),
            NaiveDate::from_ymd_opt(2026, 3, 29).expect("date")
        );
        assert_eq!(
            last_sunday(2026, 10),
            NaiveDate::from_ymd_opt(2026, 10, 25).expect("date")
        );
        // A month ending on a Sunday: that day.
        assert_eq!(
            last_sunday(2024, 3),
            NaiveDate::from_ymd_opt(2024, 3, 31).expect("date")
        );
    }

    #[test]
    fn typed_times_take_the_offset_of_their_own_date() {
        // Summer: UTC+2; winter: UTC+1, whatever today is.
        assert_eq!(
            to_utc(local("2026-10-24 10:30")),
            Ok(utc("2026-10-24 08:30"))
        );
        assert_eq!(
            to_utc(local("2026-10-26 10:30")),
            Ok(utc("2026-10-26 09:30"))
        );
        assert_eq!(
            to_utc(local("2026-07-15 09:00")),
            Ok(utc("2026-07-15 07:00"))
        );
        assert_eq!(
            to_utc(local("2026-01-15 09:00")),
            Ok(utc("2026-01-15 08:00"))
        );
        assert_eq!(
            to_utc(local("2026-03-28 10:00")),
            Ok(utc("2026-03-28 09:00"))
        );
        assert_eq!(
            to_utc(local("2026-03-30 10:00")),
            Ok(utc("2026-03-30 08:00"))
        );
    }

    #[test]
    fn around_the_changes_themselves() {
        // Spring: 01:59 is winter, 02:xx does not exist, 03:00 is summer.
        assert_eq!(
            to_utc(local("2026-03-29 01:59")),
            Ok(utc("2026-03-29 00:59"))
        );
        assert_eq!(to_utc(local("2026-03-29 02:00")), Err(NoSuchTime));
        assert_eq!(to_utc(local("2026-03-29 02:59")), Err(NoSuchTime));
        assert_eq!(
            to_utc(local("2026-03-29 03:00")),
            Ok(utc("2026-03-29 01:00"))
        );
        // Autumn: 02:30 happens twice; the first (summer) is meant. 03:00 is winter.
        assert_eq!(
            to_utc(local("2026-10-25 01:59")),
            Ok(utc("2026-10-24 23:59"))
        );
        assert_eq!(
            to_utc(local("2026-10-25 02:30")),
            Ok(utc("2026-10-25 00:30"))
        );
        assert_eq!(
            to_utc(local("2026-10-25 03:00")),
            Ok(utc("2026-10-25 02:00"))
        );
    }

    #[test]
    fn shown_back_as_typed() {
        for typed in [
            "2026-10-24 10:30",
            "2026-07-15 09:00",
            "2026-12-31 23:59",
            "2027-01-01 00:00",
            "2026-03-29 03:00",
            "2026-10-25 02:30",
            "2020-12-27 08:00",
        ] {
            let at = to_utc(local(typed)).expect("exists");
            assert_eq!(from_utc(at), local(typed), "{typed}");
        }
        // The second 02:30 of the autumn change reads back as 02:30 too.
        assert_eq!(from_utc(utc("2026-10-25 01:30")), local("2026-10-25 02:30"));
    }
}
