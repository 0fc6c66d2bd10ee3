//! Vigie's browser apps: client-side rendered Leptos, served by the backend. The modules are
//! shared; each app (a binary in `src/bin/` or `main.rs`) mounts only what its audience uses,
//! so the linker leaves the rest out of its wasm.

pub mod api;
pub mod app;
pub mod approver;
pub mod components;
pub mod credentials;
pub mod format;
pub mod hall;
pub mod live;
pub mod pages;
pub mod session;
pub mod shell;
pub mod statistics;
pub mod terminals;
pub mod vaccination;
pub mod webauthn;

/// Shows a panic's message in the browser console instead of "unreachable executed".
pub fn install_panic_hook() {
    console_error_panic_hook::set_once();
}
