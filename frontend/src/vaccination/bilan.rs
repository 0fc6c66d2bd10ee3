//! "/bilan/:id": the vaccination recap, printable, with the EU Digital COVID Certificate's QR
//! code, and the same recap as a PDF; below it (not printed), each dose with what may still be
//! done about it (correction, invalidation, adverse effect).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;
use vigie_shared::api::vaccination::InjectionStatus;

use super::{api, dose_line::CorrectableDose};
use crate::{format, pages::set_title};

#[component]
pub fn Bilan() -> impl IntoView {
    set_title("Bilan de vaccination");
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<Uuid>().ok()));
    let data = LocalResource::new(move || {
        let id = id();
        async move {
            let id =
                id.ok_or_else(|| vigie_shared::ApiError::from(vigie_shared::ErrorCode::NotFound))?;
            let file = api::patient(id).await?;
            let certificate = api::certificate(id).await.ok();
            // The lots a dose may be corrected to.
            let context = api::context().await.ok();
            Ok::<_, vigie_shared::ApiError>((file, certificate, context))
        }
    });
    view! {
        <h1>"Bilan de vaccination COVID-19"</h1>
        {move || match data.get() {
            None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
            Some(Err(e)) => view! { <p role="alert" class="alert alert-error">{e.message}</p> }.into_any(),
            Some(Ok((file, certificate, context))) => {
                if let Some(context) = context {
                    provide_context(StoredValue::new(context));
                }
                let pdf = api::recap_pdf_url(file.id);
                // Every dose, as it stands after any correction made below.
                let history = RwSignal::new(file.injections.clone());
                view! {
                    <section class="card recap" data-testid="recap">
                        <h2 data-testid="recap-name">{format!("{} {}", file.given_names, file.family_name)}</h2>
                        <p>{format!("Né(e) le {} — NIR {}", format::day(file.birth_date), file.nir_masked)}</p>
                        <table class="recap-table injections-table">
                            <caption class="visually-hidden">"Injections"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Date"</th>
                                    <th scope="col">"Vaccin"</th>
                                    <th scope="col">"Lot"</th>
                                    <th scope="col">"Dose"</th>
                                    <th scope="col">"Lieu"</th>
                                    <th scope="col">"Vaccinateur"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {move || history.get().into_iter().filter(|i| i.status == InjectionStatus::Valid).map(|i| view! {
                                    <tr>
                                        <td data-label="Date">{format::date_time(i.administered_at)}</td>
                                        <td data-label="Vaccin">{format!("{} ({})", i.product_name, i.manufacturer)}</td>
                                        <td data-label="Lot">{i.lot_number.clone()}</td>
                                        <td data-label="Dose">{if i.booster { "Rappel".to_string() } else { format!("{}/{}", i.dose_number, i.series_doses) }}</td>
                                        <td data-label="Lieu">{i.place.clone().unwrap_or_else(|| i.structure_name.clone())}</td>
                                        <td data-label="Vaccinateur">{match &i.typed_by {
                                            Some(t) => format!("{} (saisie par {t})", i.vaccinator),
                                            None => i.vaccinator.clone(),
                                        }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {certificate.map(|c| view! {
                            <figure class="certificate">
                                <div class="qr" inner_html=c.qr_svg.clone() role="img" aria-label="QR code du certificat COVID numérique de l'UE"></div>
                                <figcaption>
                                    "Certificat COVID numérique de l'UE — identifiant : "
                                    <span data-testid="uvci">{c.uvci.clone()}</span>
                                </figcaption>
                            </figure>
                        })}
                    </section>
                    <div class="actions no-print">
                        <button type="button" class="button" data-testid="print" on:click=move |_| {
                            if let Some(w) = web_sys::window() {
                                let _ = w.print();
                            }
                        }>"Imprimer"</button>
                        <a class="button button-quiet" href=pdf target="_blank" rel="noopener" data-testid="pdf">"Télécharger le PDF"</a>
                        <a class="button button-quiet" href="/vaccination">"Retour à la saisie"</a>
                    </div>
                    <section class="card no-print" aria-labelledby="doses-title">
                        <h2 id="doses-title">"Corriger une dose"</h2>
                        <ul class="history" data-testid="bilan-doses">
                            {move || history.get().into_iter().map(|injection| view! {
                                <CorrectableDose injection history />
                            }).collect_view()}
                        </ul>
                    </section>
                }
                    .into_any()
            }
        }}
    }
}
