//! Vigie's single-page app: client-side rendered Leptos, served by the backend from `dist/`.

mod api;
mod app;
mod components;
mod format;
mod live;
mod pages;
mod session;
mod statistics;
mod vaccination;
mod webauthn;

fn main() {
    // A panic shows its message in the browser console instead of "unreachable executed".
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
