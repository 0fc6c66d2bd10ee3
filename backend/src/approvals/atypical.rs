//! Requests that deserve suspicion: at night in France, or from a terminal this professional
//! never used. They are marked in red on the phone and not pushed as a notification.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Europe::Paris;

/// The French reasons why a request is atypical (empty when it is not).
pub fn reasons(now: DateTime<Utc>, terminal_known: bool) -> Vec<String> {
    let mut reasons = Vec::new();
    let local = now.with_timezone(&Paris);
    if !(7..21).contains(&local.hour()) {
        reasons.push(format!(
            "Demande à {} (hors 7 h – 21 h)",
            local.format("%H:%M")
        ));
    }
    if !terminal_known {
        reasons.push("Poste que vous n'avez jamais utilisé".into());
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn night_in_paris_not_utc() {
        // 20:30 UTC in January is 21:30 in Paris (CET): atypical.
        let winter = Utc
            .with_ymd_and_hms(2026, 1, 15, 20, 30, 0)
            .single()
            .expect("date");
        assert_eq!(reasons(winter, true).len(), 1);
        // 19:30 UTC in July is 21:30 in Paris (CEST): atypical; 18:30 UTC is 20:30: fine.
        let summer = Utc
            .with_ymd_and_hms(2026, 7, 15, 19, 30, 0)
            .single()
            .expect("date");
        assert_eq!(reasons(summer, true).len(), 1);
        let summer_ok = Utc
            .with_ymd_and_hms(2026, 7, 15, 18, 30, 0)
            .single()
            .expect("date");
        assert!(reasons(summer_ok, true).is_empty());
        // 06:59 Paris is atypical, 07:00 is not.
        let early = Utc
            .with_ymd_and_hms(2026, 1, 15, 5, 59, 0)
            .single()
            .expect("date");
        assert_eq!(reasons(early, true).len(), 1);
        let seven = Utc
            .with_ymd_and_hms(2026, 1, 15, 6, 0, 0)
            .single()
            .expect("date");
        assert!(reasons(seven, true).is_empty());
    }

    #[test]
    fn unknown_terminal() {
        let day = Utc
            .with_ymd_and_hms(2026, 3, 10, 10, 0, 0)
            .single()
            .expect("date");
        assert_eq!(
            reasons(day, false),
            vec!["Poste que vous n'avez jamais utilisé".to_string()]
        );
    }
}
