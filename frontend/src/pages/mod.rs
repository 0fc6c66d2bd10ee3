//! One module per screen, named after its route.

pub mod activation;
pub mod home;
pub mod not_found;
pub mod sign_in;

/// Sets the tab title, so screen readers and the tab list say which screen this is.
pub fn set_title(title: &str) {
    let full = if title == "Vigie" {
        title.to_owned()
    } else {
        format!("{title} — Vigie")
    };
    leptos::prelude::document().set_title(&full);
}
