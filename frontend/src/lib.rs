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
pub mod prefetch;
pub mod session;
pub mod shell;
pub mod statistics;
pub mod terminals;
pub mod vaccination;
pub mod webauthn;

/// Starts a browser app: replaces the page's static shell (the header its `index.html` paints
/// before the wasm arrives) with the app.
pub fn mount<F, N>(app: F)
where
    F: FnOnce() -> N + 'static,
    N: leptos::IntoView,
{
    install_panic_hook();
    if let Some(shell) = leptos::prelude::document().get_element_by_id("app-shell") {
        shell.remove();
    }
    leptos::mount::mount_to_body(app);
}

/// Shows a panic's message in the browser console instead of "unreachable executed" — except
/// in the size-optimised release build (`scripts/build.sh`), where a panic stops at once and
/// carries no message to show.
fn install_panic_hook() {
    #[allow(unexpected_cfgs)]
    #[cfg(not(panic = "immediate-abort"))]
    console_error_panic_hook::set_once();
}
