//! Dates and times as a French user reads them, in Europe/Paris time whatever the device's
//! zone, through the browser's own `Intl` (no time-zone database in the wasm). Calendar dates
//! and form values are written and read here by hand: chrono's `format`/`parse_from_str`
//! bring a pattern interpreter into every app's wasm.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use js_sys::{Date, Object, Reflect};
use wasm_bindgen::JsValue;

/// "14:03".
pub fn time(at: DateTime<Utc>) -> String {
    let options = paris(&[("hour", "2-digit"), ("minute", "2-digit")]);
    js_date(at)
        .to_locale_time_string_with_options("fr-FR", &options)
        .into()
}

/// "22/11/2026 14:03".
pub fn date_time(at: DateTime<Utc>) -> String {
    let options = paris(&[("dateStyle", "short"), ("timeStyle", "short")]);
    js_date(at).to_locale_string("fr-FR", &options).into()
}

/// "22 mai 2027 à 14:03".
pub fn long_date_time(at: DateTime<Utc>) -> String {
    let options = paris(&[("dateStyle", "long"), ("timeStyle", "short")]);
    js_date(at).to_locale_string("fr-FR", &options).into()
}

/// "1:05": minutes and seconds left, never negative.
pub fn clock(left: Duration) -> String {
    let seconds = left.num_seconds().max(0);
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// "22/11/2026".
pub fn day(date: NaiveDate) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

/// A `<input type="date">` value, "2026-11-22".
pub fn parse_date_field(value: &str) -> Option<NaiveDate> {
    value.trim().parse().ok()
}

/// A `<input type="datetime-local">` value, "2026-11-22T14:03" (seconds allowed).
pub fn parse_date_time_field(value: &str) -> Option<NaiveDateTime> {
    let (date, time) = value.trim().split_once('T')?;
    Some(
        date.parse::<NaiveDate>()
            .ok()?
            .and_time(time.parse::<NaiveTime>().ok()?),
    )
}

/// The value of a `<input type="datetime-local">` for `at`, "2026-11-22T14:03".
pub fn date_time_field(at: NaiveDateTime) -> String {
    format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute())
}

fn js_date(at: DateTime<Utc>) -> Date {
    Date::new(&JsValue::from_f64(at.timestamp_millis() as f64))
}

fn paris(pairs: &[(&str, &str)]) -> JsValue {
    let options = Object::new();
    for (key, value) in pairs
        .iter()
        .chain(std::iter::once(&("timeZone", "Europe/Paris")))
    {
        let _ = Reflect::set(&options, &(*key).into(), &(*value).into());
    }
    options.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_counts_minutes_and_seconds() {
        assert_eq!(clock(Duration::seconds(90)), "1:30");
        assert_eq!(clock(Duration::seconds(5)), "0:05");
        assert_eq!(clock(Duration::seconds(-3)), "0:00");
    }

    #[test]
    fn dates_and_form_values() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 9).expect("date");
        assert_eq!(day(date), "09/03/2026");
        assert_eq!(parse_date_field("2026-03-09"), Some(date));
        assert_eq!(parse_date_field("09/03/2026"), None);
        let at = date.and_hms_opt(7, 5, 0).expect("time");
        assert_eq!(date_time_field(at), "2026-03-09T07:05");
        assert_eq!(parse_date_time_field("2026-03-09T07:05"), Some(at));
        assert_eq!(parse_date_time_field("2026-03-09T07:05:00"), Some(at));
        assert_eq!(parse_date_time_field("2026-03-09"), None);
        assert_eq!(parse_date_time_field(""), None);
    }
}
