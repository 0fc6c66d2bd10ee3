//! Délégation de saisie: structures and their managers declare staff;
//! a professional chooses who may type under their responsibility; a staff member opens a
//! delegated session that the professional approves on the phone with the code shown on the
//! tablet; the professional supervises it live, ends it, contests entries.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::vaccination::{ContestView, InjectionStatus};
use crate::ids::CpeNumber;

/// Opening hours of one day (Europe/Paris local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayHours {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "08:00"))]
    pub opens: NaiveTime,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "19:00"))]
    pub closes: NaiveTime,
}

/// A week of opening hours, Monday first; `None` = closed that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpeningHours {
    pub days: [Option<DayHours>; 7],
}

impl OpeningHours {
    pub const DAY_NAMES: [&'static str; 7] = [
        "Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche",
    ];

    /// Refuses a day that closes before it opens (French message for the form).
    pub fn check(&self) -> Result<(), String> {
        for (name, day) in Self::DAY_NAMES.iter().zip(self.days.iter()) {
            if let Some(d) = day
                && d.closes <= d.opens
            {
                return Err(format!(
                    "{name} : l'heure de fermeture doit suivre l'heure d'ouverture."
                ));
            }
        }
        Ok(())
    }

    /// Whether the site is open at this local time (weekday 0 = Monday).
    pub fn is_open(&self, weekday_from_monday: usize, time: NaiveTime) -> bool {
        self.days
            .get(weekday_from_monday)
            .copied()
            .flatten()
            .is_some_and(|d| d.opens <= time && time < d.closes)
    }
}

/// A structure as its manager (or a professional practising there) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StructureDetails {
    pub id: Uuid,
    pub finess: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub opening_hours: OpeningHours,
    /// The asking user manages it (staff, hours, lots).
    pub can_manage: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StructureUpdate {
    pub address: String,
    pub opening_hours: OpeningHours,
}

/// A manager declares a staff member allowed to type under delegation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffDeclaration {
    pub cpe_number: CpeNumber,
    pub first_name: String,
    pub last_name: String,
    /// "Secrétaire médicale", "Agent d'accueil"…
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffView {
    pub id: Uuid,
    pub structure_id: Uuid,
    pub cpe_number: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    pub declared_at: DateTime<Utc>,
    /// Set once the manager withdrew them: they can no longer open delegated sessions.
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub passkey_enrolled: bool,
    /// Professionals who currently let them type under their responsibility.
    pub authorised_by: Vec<String>,
    pub open_sessions: u32,
}

/// A one-time link for the staff member to create their passkey (24 h). The token travels in
/// the link's fragment, never sent to a server log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffEnrolment {
    pub staff: StaffView,
    pub enrolment_token: String,
    pub link: String,
    pub qr_svg: String,
    pub expires_at: DateTime<Utc>,
    /// Passkeys the staff member held before this link, revoked by issuing it.
    #[serde(default)]
    pub revoked_passkeys: u32,
}

/// "Mes paramètres": a declared staff member of one of my structures, and whether I let them
/// type under my responsibility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DelegateChoice {
    pub staff_id: Uuid,
    pub structure_id: Uuid,
    pub structure_name: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    pub authorised: bool,
    pub authorised_since: Option<DateTime<Utc>>,
}

/// A staff member signs in on the tablet with their passkey, identified by their CPE number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffSignInStart {
    pub cpe_number: CpeNumber,
}

/// A professional the signed-in staff member may type for, in this structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorityOption {
    pub professional_id: Uuid,
    pub display_name: String,
}

/// The staff member asks a professional to approve a delegated session on this tablet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DelegatedRequest {
    pub professional_id: Uuid,
    /// "Tablette 3": the name typed on this tablet.
    pub terminal_label: Option<String>,
    /// An enrolled terminal's signature over this request (`api::terminal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_proof: Option<crate::api::terminal::TerminalProof>,
}

/// One entry typed in a delegated session, as the supervising professional sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DelegatedEntry {
    pub injection_id: Uuid,
    pub session_id: Uuid,
    pub patient_name: String,
    pub patient_birth_date: chrono::NaiveDate,
    pub product_name: String,
    pub lot_number: String,
    pub dose_number: i32,
    pub administered_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub status: InjectionStatus,
    pub contest: Option<ContestView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DelegatedSessionView {
    pub session_id: Uuid,
    pub typist: String,
    pub typist_role: String,
    pub structure_name: String,
    pub terminal: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub entries: Vec<DelegatedEntry>,
}

/// Contest an entry typed under my responsibility.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryContest {
    pub reason: String,
}

/// `entry_contested` on the delegated session's stream: the typist's tablet is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryContestedNotice {
    pub injection_id: Uuid,
    pub reason: String,
    /// "Dr Jean Martin".
    pub by: String,
    /// The patient of the contested entry ("Jeanne Durand"): the delegate typed it.
    #[serde(default)]
    pub patient_name: String,
}

/// `delegated_session_ended` on the supervision stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DelegatedSessionEnded {
    pub session_id: Uuid,
    pub ended_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveTime {
        s.parse().expect("time")
    }

    #[test]
    fn opening_hours_check_and_contain() {
        let mut hours = OpeningHours::default();
        hours.days[0] = Some(DayHours {
            opens: t("08:00"),
            closes: t("19:00"),
        });
        assert!(hours.check().is_ok());
        assert!(hours.is_open(0, t("08:00")));
        assert!(!hours.is_open(0, t("19:00")));
        assert!(!hours.is_open(6, t("10:00")));
        hours.days[6] = Some(DayHours {
            opens: t("12:00"),
            closes: t("09:00"),
        });
        assert_eq!(
            hours.check().expect_err("backwards"),
            "Dimanche : l'heure de fermeture doit suivre l'heure d'ouverture."
        );
    }

    #[test]
    fn html_time_inputs_parse() {
        let d: DayHours =
            serde_json::from_str(r#"{"opens":"08:30","closes":"18:00"}"#).expect("parse");
        assert_eq!(d.opens, t("08:30"));
    }
}
