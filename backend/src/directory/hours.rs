//! A structure's opening hours, as its manager gives them, read in Paris time.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Europe::Paris;
use vigie_shared::api::delegation::OpeningHours;

use crate::entities::structure;

pub fn opening_hours(s: &structure::Model) -> OpeningHours {
    serde_json::from_str(&s.opening_hours).unwrap_or_default()
}

/// "Outside the site's opening hours" (an atypical sign-in request), in Paris time.
/// A site without hours given is never outside them.
pub fn outside_hours(s: &structure::Model, now: DateTime<Utc>) -> Option<String> {
    if s.opening_hours.is_empty() {
        return None;
    }
    let local = now.with_timezone(&Paris);
    let day = local.weekday().num_days_from_monday() as usize;
    (!opening_hours(s).is_open(day, local.time())).then(|| {
        format!(
            "Demande à {} en dehors des heures d'ouverture de {}",
            local.format("%H:%M"),
            s.name
        )
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;

    fn centre(hours: &str) -> structure::Model {
        structure::Model {
            id: Uuid::nil(),
            finess: "770012342".into(),
            name: "Centre de vaccination de Melun".into(),
            kind: "centre_vaccination".into(),
            address: String::new(),
            department: "77".into(),
            opening_hours: hours.into(),
            created_at: Utc::now(),
            owner_professional_id: None,
        }
    }

    #[test]
    fn outside_the_site_hours_in_paris_time() {
        // Monday to Friday 08:00–19:00.
        let day = r#"{"opens":"08:00","closes":"19:00"}"#;
        let hours = format!(r#"{{"days":[{day},{day},{day},{day},{day},null,null]}}"#);
        let s = centre(&hours);
        // Monday 23 November 2026, 07:30 UTC = 08:30 in Paris: open.
        let open = Utc
            .with_ymd_and_hms(2026, 11, 23, 7, 30, 0)
            .single()
            .expect("date");
        assert_eq!(outside_hours(&s, open), None);
        // 18:30 UTC = 19:30 in Paris: closed.
        let late = Utc
            .with_ymd_and_hms(2026, 11, 23, 18, 30, 0)
            .single()
            .expect("date");
        assert_eq!(
            outside_hours(&s, late).as_deref(),
            Some(
                "Demande à 19:30 en dehors des heures d'ouverture de Centre de vaccination de Melun"
            )
        );
        // Saturday: closed all day.
        let saturday = Utc
            .with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
            .single()
            .expect("date");
        assert!(outside_hours(&s, saturday).is_some());
        // No hours given: never outside them.
        assert_eq!(outside_hours(&centre(""), late), None);
    }
}
