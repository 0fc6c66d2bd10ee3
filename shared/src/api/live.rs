//! Everything a live stream (Server-Sent Events) says, as one type: the server sends each event
//! as the JSON of a `LiveEvent` in a plain `data:` line. A new kind of event is a new variant.
//!
//! Each stream's reader decodes the same wire form into a view holding only what its stream
//! carries (`PhoneEvent`, `RequestEvent`, `SessionEvent`, `SupervisionEvent`); any other kind
//! reads as `Other`. A browser app then carries the decoders of its own events only, not of
//! every event the server knows (the phone's app does not read supervision entries).

use serde::{Deserialize, Serialize, de::IgnoredAny};

use super::{
    approval::{ApprovalEvent, ApprovalState, PendingApproval},
    delegation::{
        DelegatedEntry, DelegatedSessionEnded, DelegatedSessionView, EntryContestedNotice,
    },
    session::SessionEnded,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A terminal's request in full: the first event of its stream.
    ApprovalState(ApprovalState),
    /// A request left `pending` (the terminal's stream and the phone's).
    ApprovalStatus(ApprovalEvent),
    /// The phone: a new request to approve or refuse.
    ApprovalRequested(PendingApproval),
    /// This device's session ended (signed out elsewhere, ended by the authority…).
    SessionEnded(SessionEnded),
    /// The typist's tablet: the responsible professional contested one of its entries.
    EntryContested(EntryContestedNotice),
    /// Supervision: a delegated session opened under my authority.
    DelegatedSession(DelegatedSessionView),
    /// Supervision: an entry typed under my authority, new or just contested.
    DelegatedEntry(DelegatedEntry),
    /// Supervision: a delegated session ended.
    DelegatedSessionEnded(DelegatedSessionEnded),
}

impl LiveEvent {
    /// The name of the variant, as on the wire (`kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ApprovalState(_) => "approval_state",
            Self::ApprovalStatus(_) => "approval_status",
            Self::ApprovalRequested(_) => "approval_requested",
            Self::SessionEnded(_) => "session_ended",
            Self::EntryContested(_) => "entry_contested",
            Self::DelegatedSession(_) => "delegated_session",
            Self::DelegatedEntry(_) => "delegated_entry",
            Self::DelegatedSessionEnded(_) => "delegated_session_ended",
        }
    }
}

/// The approver phone's stream (`/api/approver/events`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum PhoneEvent {
    ApprovalRequested(PendingApproval),
    ApprovalStatus(ApprovalEvent),
    /// Any other kind, or one this build cannot read (a newer server's): skipped.
    #[serde(untagged)]
    Other(IgnoredAny),
}

/// A terminal's stream for the request it made (`/api/approvals/{id}/events`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum RequestEvent {
    ApprovalState(ApprovalState),
    ApprovalStatus(ApprovalEvent),
    #[serde(untagged)]
    Other(IgnoredAny),
}

/// A signed-in device's session stream (`/api/session/events`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum SessionEvent {
    SessionEnded(SessionEnded),
    EntryContested(EntryContestedNotice),
    #[serde(untagged)]
    Other(IgnoredAny),
}

/// The supervising professional's stream (`/api/supervision/events`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum SupervisionEvent {
    DelegatedSession(DelegatedSessionView),
    DelegatedEntry(DelegatedEntry),
    DelegatedSessionEnded(DelegatedSessionEnded),
    #[serde(untagged)]
    Other(IgnoredAny),
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::api::{approval::ApprovalStatus, vaccination::InjectionStatus};

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).expect("timestamp")
    }

    /// One event of every kind, with non-default values.
    fn one_of_each() -> Vec<LiveEvent> {
        let id = Uuid::from_u128(7);
        let entry = DelegatedEntry {
            injection_id: id,
            session_id: Uuid::from_u128(8),
            patient_name: "Jeanne Durand".into(),
            patient_birth_date: NaiveDate::from_ymd_opt(1950, 2, 3).expect("date"),
            product_name: "Comirnaty".into(),
            lot_number: "FK1234".into(),
            dose_number: 2,
            administered_at: at(1_790_000_000),
            recorded_at: at(1_790_000_060),
            status: InjectionStatus::Valid,
            contest: None,
        };
        vec![
            LiveEvent::ApprovalState(ApprovalState {
                approval_id: id,
                status: ApprovalStatus::Pending,
                message: "En attente".into(),
                expires_at: at(1_790_000_120),
            }),
            LiveEvent::ApprovalStatus(ApprovalEvent {
                approval_id: id,
                status: ApprovalStatus::Refused,
            }),
            LiveEvent::ApprovalRequested(PendingApproval {
                approval_id: id,
                terminal: "Tablette 3 — Centre de Melun (poste enregistré)".into(),
                place: "Melun".into(),
                ip: "192.0.2.1".into(),
                requested_at: at(1_790_000_000),
                expires_at: at(1_790_000_120),
                requested_by: Some("Marie Dupont".into()),
                atypical: vec!["Poste inconnu".into()],
                terminal_enrolled: true,
                terminal_name: Some("Tablette 3".into()),
                terminal_structure: Some("Centre de Melun".into()),
            }),
            LiveEvent::SessionEnded(SessionEnded::because("reported")),
            LiveEvent::EntryContested(EntryContestedNotice {
                injection_id: id,
                reason: "Mauvais lot".into(),
                by: "Dr Jean Martin".into(),
                patient_name: "Jeanne Durand".into(),
            }),
            LiveEvent::DelegatedSession(DelegatedSessionView {
                session_id: Uuid::from_u128(8),
                typist: "Marie Dupont".into(),
                typist_role: "Secrétaire".into(),
                structure_name: "Centre de Melun".into(),
                terminal: "Tablette 3".into(),
                started_at: at(1_790_000_000),
                ended_at: None,
                entries: vec![entry.clone()],
            }),
            LiveEvent::DelegatedEntry(entry),
            LiveEvent::DelegatedSessionEnded(DelegatedSessionEnded {
                session_id: Uuid::from_u128(8),
                ended_at: at(1_790_003_600),
            }),
        ]
    }

    fn read<T: serde::de::DeserializeOwned>(event: &LiveEvent) -> T {
        let wire = serde_json::to_string(event).expect("serialises");
        serde_json::from_str(&wire).unwrap_or_else(|e| panic!("{} reads: {e}", event.kind()))
    }

    #[test]
    fn every_stream_view_reads_its_events_whole_and_skips_the_others() {
        for event in one_of_each() {
            let phone = match &event {
                LiveEvent::ApprovalRequested(p) => PhoneEvent::ApprovalRequested(p.clone()),
                LiveEvent::ApprovalStatus(s) => PhoneEvent::ApprovalStatus(s.clone()),
                _ => PhoneEvent::Other(IgnoredAny),
            };
            assert_eq!(read::<PhoneEvent>(&event), phone, "{}", event.kind());
            let request = match &event {
                LiveEvent::ApprovalState(s) => RequestEvent::ApprovalState(s.clone()),
                LiveEvent::ApprovalStatus(s) => RequestEvent::ApprovalStatus(s.clone()),
                _ => RequestEvent::Other(IgnoredAny),
            };
            assert_eq!(read::<RequestEvent>(&event), request, "{}", event.kind());
            let session = match &event {
                LiveEvent::SessionEnded(e) => SessionEvent::SessionEnded(e.clone()),
                LiveEvent::EntryContested(c) => SessionEvent::EntryContested(c.clone()),
                _ => SessionEvent::Other(IgnoredAny),
            };
            assert_eq!(read::<SessionEvent>(&event), session, "{}", event.kind());
            let supervision = match &event {
                LiveEvent::DelegatedSession(s) => SupervisionEvent::DelegatedSession(s.clone()),
                LiveEvent::DelegatedEntry(e) => SupervisionEvent::DelegatedEntry(e.clone()),
                LiveEvent::DelegatedSessionEnded(e) => {
                    SupervisionEvent::DelegatedSessionEnded(e.clone())
                }
                _ => SupervisionEvent::Other(IgnoredAny),
            };
            assert_eq!(
                read::<SupervisionEvent>(&event),
                supervision,
                "{}",
                event.kind()
            );
        }
        // A kind this build does not know (a newer server) is skipped, not an error.
        let newer = r#"{"kind":"surprise","data":{"x":1}}"#;
        assert_eq!(
            serde_json::from_str::<PhoneEvent>(newer).ok(),
            Some(PhoneEvent::Other(IgnoredAny))
        );
        // So is a known kind this build cannot read: never a plausible default.
        let broken = r#"{"kind":"approval_status","data":{"approval_id":"nope"}}"#;
        assert_eq!(
            serde_json::from_str::<PhoneEvent>(broken).ok(),
            Some(PhoneEvent::Other(IgnoredAny))
        );
    }

    #[test]
    fn wire_form_is_kind_and_data_and_reads_back() {
        let id = uuid::Uuid::nil();
        let e = LiveEvent::ApprovalStatus(ApprovalEvent {
            approval_id: id,
            status: ApprovalStatus::Approved,
        });
        let json = serde_json::to_value(&e).expect("serialises");
        assert_eq!(json["kind"], "approval_status");
        assert_eq!(json["kind"], e.kind());
        assert_eq!(json["data"]["status"], "approved");
        let back: LiveEvent = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, e);
        let ended = serde_json::json!({ "kind": "session_ended", "data": {} });
        assert!(matches!(
            serde_json::from_value::<LiveEvent>(ended),
            Ok(LiveEvent::SessionEnded(_))
        ));
        // An unknown kind is an error, never a plausible default.
        let unknown = serde_json::json!({ "kind": "surprise", "data": {} });
        assert!(serde_json::from_value::<LiveEvent>(unknown).is_err());
    }
}
