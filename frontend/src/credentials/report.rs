//! "/appareils/signalement#jeton=…": the new-credential mail's "Ce n'est pas moi" link. One
//! tap revokes what was added (the passkey, and the phone activated with it) and opens an
//! incident for the security officers.

use leptos::prelude::*;

use crate::{
    api,
    components::mailed_report::{MailedReport, ReportWords},
};

#[component]
pub fn DeviceReport() -> impl IntoView {
    let words = ReportWords {
        title: "Signaler un appareil",
        lead: "Un e-mail vous signale un nouvel appareil que vous n'avez pas ajouté ? Retirez-le : \
               il ne permet plus de se connecter ni de valider une connexion, et l'équipe de \
               sécurité est prévenue.",
        button: "Retirer cet appareil et signaler",
        button_test_id: "report-device",
        done: "L'appareil a été retiré et l'incident signalé à l'équipe de sécurité.",
        spent: "Ce lien a déjà servi, a expiré ou n'est pas valable.",
        afterwards: "Une fois connecté, vérifiez aussi vos autres appareils dans « Mes appareils ».",
    };
    view! { <MailedReport words send=|token: String| async move { api::credential_report(&token).await } /> }
}
