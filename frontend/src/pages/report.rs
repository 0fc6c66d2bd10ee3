//! "/signalement#jeton=…": the sign-in mail's "Ce n'est pas moi" link. One tap closes that
//! session and opens an incident for the security officers.

use leptos::prelude::*;

use crate::{
    api,
    components::mailed_report::{MailedReport, ReportWords},
};

#[component]
pub fn Report() -> impl IntoView {
    let words = ReportWords {
        title: "Signaler une connexion",
        lead: "Un e-mail vous signale une connexion à Vigie que vous n'avez pas faite ? Fermez \
               cette session : elle s'arrête aussitôt sur l'appareil concerné, et l'équipe de \
               sécurité est prévenue.",
        button: "Fermer cette session et signaler",
        button_test_id: "report-session",
        done: "La session a été fermée et l'incident signalé.",
        spent: "Ce lien a déjà servi ou n'est pas valable.",
        afterwards: "Une fois connecté, vérifiez aussi vos autres sessions dans « Mes sessions ».",
    };
    view! { <MailedReport words send=|token: String| async move { api::session_report(&token).await } /> }
}
