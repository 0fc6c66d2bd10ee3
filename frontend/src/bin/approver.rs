//! The phone's approver app (`dist/approver/`): `/validation` alone, without the router.

fn main() {
    vigie_frontend::install_panic_hook();
    leptos::mount::mount_to_body(vigie_frontend::approver::ApproverApp);
}
