//! Dates and times as a French user reads them, in Europe/Paris time whatever the device's
//! zone, through the browser's own `Intl` (no time-zone database in the wasm).

use chrono::{DateTime, Duration, Utc};
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
}
