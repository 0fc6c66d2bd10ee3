//! Who acts in a unit of work: built once per request from the session (or the terminal, for
//! an anonymous tablet), then carried by the work and written on every audit event.

use uuid::Uuid;

use crate::auth::session::{Current, Principal};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// The professional, structure account or staff member acting; `None` when anonymous.
    pub id: Option<Uuid>,
    /// Under whose authority a delegate acts.
    pub authority: Option<Uuid>,
    pub session: Option<Uuid>,
    pub terminal: Option<Uuid>,
}

impl Actor {
    /// Nobody signed in (a phone activating, a password not yet checked).
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// An anonymous tablet, known by its terminal cookie.
    pub fn terminal(id: Uuid) -> Self {
        Self {
            terminal: Some(id),
            ..Self::default()
        }
    }

    /// A known person or account acting outside any session of theirs (a mail link) or whose
    /// session the caller does not carry.
    pub fn by(id: Uuid) -> Self {
        Self {
            id: Some(id),
            ..Self::default()
        }
    }

    /// The owner of a live session, with the authority a delegate types under.
    pub fn of(current: &Current) -> Self {
        let authority = match &current.principal {
            Principal::Delegate { authority, .. } => authority.as_ref().map(|p| p.id),
            _ => None,
        };
        Self {
            id: Some(current.principal.id()),
            authority,
            session: Some(current.session.id),
            terminal: current.session.terminal_id,
        }
    }
}
