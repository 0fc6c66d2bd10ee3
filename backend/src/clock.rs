//! Time is a parameter: session and ceremony limits read the clock from here, so tests move
//! time forward instead of sleeping. In production the offset stays zero (moving it needs the
//! `testing` setting).

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Default, Clone)]
pub struct Clock {
    offset: Arc<RwLock<Duration>>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn advance(&self, by: Duration) {
        *self.offset.write().unwrap_or_else(|e| e.into_inner()) += by;
    }

    pub fn offset(&self) -> Duration {
        *self.offset.read().unwrap_or_else(|e| e.into_inner())
    }
}
