//! A time always written with six fractional digits (`2026-11-29T10:15:00.120000Z`), for
//! answers whose length must not depend on the clock: the default form drops trailing zero
//! digits, so an answer's size would vary with the microsecond it was made at. Read back as
//! any RFC 3339 time.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Micros, true))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    DateTime::<Utc>::deserialize(d)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct At {
        #[serde(with = "super")]
        at: chrono::DateTime<chrono::Utc>,
    }

    #[test]
    fn the_same_length_whatever_the_microsecond() {
        let whole = chrono::Utc
            .with_ymd_and_hms(2026, 11, 29, 10, 15, 0)
            .unwrap();
        let lengths: Vec<usize> = [0, 120_000, 123_456]
            .into_iter()
            .map(|us| {
                let at = At {
                    at: whole + chrono::Duration::microseconds(us),
                };
                let json = serde_json::to_string(&at).unwrap();
                assert_eq!(serde_json::from_str::<At>(&json).unwrap(), at);
                json.len()
            })
            .collect();
        assert_eq!(lengths, [lengths[0]; 3], "{lengths:?}");
    }
}
