//! Push approval: a terminal asks, the professional's phone shows the request with its context,
//! the code shown on the terminal must be typed on the phone, then PIN/biometrics confirm it.
//! Stored as a state machine in the database (pending → approved | refused | expired |
//! cancelled | reported), single use, two minutes of life.

pub mod approver;
pub mod atypical;
pub mod limits;
pub mod qr;
pub mod service;
pub mod terminal;

use chrono::Duration;

/// How long a request waits for the phone.
pub const LIFETIME: Duration = Duration::minutes(2);
/// Wrong codes typed on the phone before the request is refused.
pub const MAX_CODE_ATTEMPTS: i32 = 3;
