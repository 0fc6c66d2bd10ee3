//! Requests that deserve suspicion, each with a French sentence the phone shows in red; such
//! requests are not pushed as a notification. A request is atypical when it comes from a
//! terminal that proved nothing (not enrolled, or its signature failed), at night in France,
//! outside the opening hours of the enrolled terminal's site, from an enrolled terminal of a
//! structure where the professional does not practise and never signed in, or from a terminal
//! that asked for many identities in a short time. An enrolled terminal of the professional's
//! own structure, by day and in opening hours, is not atypical by itself.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Europe::Paris;

use crate::{entities::structure, terminals};

/// What is known of a request when it is made.
pub struct Facts<'a> {
    pub now: DateTime<Utc>,
    /// The structure of the enrolled terminal that signed it; `None`: an unknown terminal.
    pub enrolled_in: Option<&'a structure::Model>,
    /// Enrolled in a structure where the professional does not practise, and never used by them.
    pub foreign_and_new: bool,
    /// Different identities this terminal asked for in the last ten minutes, this one included.
    pub identities_asked: u64,
}

/// The sentence for a terminal that proved nothing.
pub const UNKNOWN_TERMINAL: &str =
    "Poste inconnu : ce poste n'a pas été enregistré par une structure de santé";

/// The French reasons why a request is atypical (empty when it is not).
pub fn reasons(f: &Facts<'_>) -> Vec<String> {
    let mut reasons = Vec::new();
    if f.enrolled_in.is_none() {
        reasons.push(UNKNOWN_TERMINAL.into());
    }
    let local = f.now.with_timezone(&Paris);
    if !(7..21).contains(&local.hour()) {
        reasons.push(format!(
            "Demande à {} (hors 7 h – 21 h)",
            local.format("%H:%M")
        ));
    }
    if let Some(s) = f.enrolled_in {
        reasons.extend(crate::directory::hours::outside_hours(s, f.now));
        if f.foreign_and_new {
            reasons.push(format!(
                "Poste de {}, où vous n'exercez pas, et que vous n'avez jamais utilisé",
                s.name
            ));
        }
    }
    if f.identities_asked >= terminals::IDENTITIES_ATYPICAL_FROM {
        reasons.push(format!(
            "Ce poste a demandé {} identités différentes en 10 minutes",
            f.identities_asked
        ));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("date")
    }

    fn centre(hours: &str) -> structure::Model {
        structure::Model {
            id: uuid::Uuid::nil(),
            finess: "770012342".into(),
            name: "Centre de vaccination de Melun".into(),
            kind: "centre_vaccination".into(),
            address: "Melun".into(),
            department: "77".into(),
            opening_hours: hours.into(),
            created_at: at(2026, 1, 1, 0, 0),
            owner_professional_id: None,
        }
    }

    fn enrolled(now: DateTime<Utc>, s: &structure::Model) -> Vec<String> {
        reasons(&Facts {
            now,
            enrolled_in: Some(s),
            foreign_and_new: false,
            identities_asked: 1,
        })
    }

    #[test]
    fn night_in_paris_not_utc() {
        let s = centre("");
        // 20:30 UTC in January is 21:30 in Paris (CET): atypical.
        assert_eq!(enrolled(at(2026, 1, 15, 20, 30), &s).len(), 1);
        // 19:30 UTC in July is 21:30 in Paris (CEST): atypical; 18:30 UTC is 20:30: fine.
        assert_eq!(enrolled(at(2026, 7, 15, 19, 30), &s).len(), 1);
        assert!(enrolled(at(2026, 7, 15, 18, 30), &s).is_empty());
        // 06:59 Paris is atypical, 07:00 is not.
        assert_eq!(enrolled(at(2026, 1, 15, 5, 59), &s).len(), 1);
        assert!(enrolled(at(2026, 1, 15, 6, 0), &s).is_empty());
    }

    #[test]
    fn an_unknown_terminal_is_always_atypical() {
        let day = at(2026, 3, 10, 10, 0);
        assert_eq!(
            reasons(&Facts {
                now: day,
                enrolled_in: None,
                foreign_and_new: false,
                identities_asked: 1,
            }),
            vec![UNKNOWN_TERMINAL.to_string()]
        );
    }

    #[test]
    fn enrolled_terminal_outside_its_site_hours_or_foreign() {
        // Monday to Saturday 08:00–20:00.
        let day = r#"{"opens":"08:00","closes":"20:00"}"#;
        let s = centre(&format!(
            r#"{{"days":[{day},{day},{day},{day},{day},{day},null]}}"#
        ));
        // Tuesday 10 March 2026, 11:00 Paris: open.
        assert!(enrolled(at(2026, 3, 10, 10, 0), &s).is_empty());
        // Sunday 8 March 2026, 11:00 Paris: closed.
        let sunday = enrolled(at(2026, 3, 8, 10, 0), &s);
        assert_eq!(sunday.len(), 1, "{sunday:?}");
        assert!(sunday[0].contains("heures d'ouverture"));
        let foreign = reasons(&Facts {
            now: at(2026, 3, 10, 10, 0),
            enrolled_in: Some(&s),
            foreign_and_new: true,
            identities_asked: 1,
        });
        assert_eq!(foreign.len(), 1);
        assert!(foreign[0].contains("où vous n'exercez pas"));
    }

    #[test]
    fn many_identities_from_one_terminal() {
        let s = centre("");
        let asked = |n| {
            reasons(&Facts {
                now: at(2026, 3, 10, 10, 0),
                enrolled_in: Some(&s),
                foreign_and_new: false,
                identities_asked: n,
            })
        };
        assert!(asked(4).is_empty());
        assert_eq!(
            asked(5),
            vec!["Ce poste a demandé 5 identités différentes en 10 minutes".to_string()]
        );
    }
}
