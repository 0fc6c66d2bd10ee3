//! Everything a live stream (Server-Sent Events) says, as one type: the server sends each event
//! as the JSON of a `LiveEvent` in a plain `data:` line, the SPA reads it back into this enum
//! and matches it. A new kind of event is a new variant, which every reader must then handle.

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::approval::ApprovalStatus;

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
