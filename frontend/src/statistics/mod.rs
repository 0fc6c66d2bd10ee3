//! "/statistiques": public open-data statistics — daily and cumulative curves, coverage by age
//! class, filters and download links. Charts are SVG drawn here (no chart library in the wasm).

mod chart;

use leptos::prelude::*;
use vigie_shared::api::statistics::{AGE_CLASSES, StatisticsFile, StatisticsRow};

use crate::{api, pages::set_title};
use chart::{Bars, Chart, Series};

fn query(dep: &str, class: Option<&str>) -> String {
    let mut q = Vec::new();
    if !dep.is_empty() {
        q.push(format!("dep={dep}"));
    }
    if let Some(c) = class {
        q.push(format!("clage_vacsi={c}"));
    }
    if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    }
}

fn base(dep: &str) -> &'static str {
    if dep.is_empty() {
        "/api/statistics/national"
    } else {
        "/api/statistics/departments"
    }
}

fn class_label(c: &str) -> String {
    match c {
        "0" => "Tous âges".into(),
        "04" => "0–4 ans".into(),
        "80" => "80 ans et plus".into(),
        other => {
            let upper: u32 = other.parse().unwrap_or(0);
            let lower = AGE_CLASSES
                .iter()
                .filter_map(|c| c.parse::<u32>().ok())
                .filter(|&u| u > 0 && u < upper)
                .max()
                .map_or(0, |u| u + 1);
            format!("{lower}–{upper} ans")
        }
    }
}

#[component]
pub fn Statistics() -> impl IntoView {
    set_title("Statistiques de vaccination");
    let dep = RwSignal::new(String::new());
    let class = RwSignal::new("0".to_owned());
    let series = LocalResource::new(move || {
        let (d, c) = (dep.get(), class.get());
        async move { api::get::<StatisticsFile>(&format!("{}{}", base(&d), query(&d, Some(&c)))).await }
    });
    let by_class = LocalResource::new(move || {
        let d = dep.get();
        async move { api::get::<StatisticsFile>(&format!("{}{}", base(&d), query(&d, None))).await }
    });
    let dep_typed = RwSignal::new(String::new());
    view! {
        <h1>"Statistiques de vaccination COVID-19"</h1>
        <p class="lead">
            "Données ouvertes, au format des fichiers publics « vacsi ». Les effectifs inférieurs à 11 ne sont pas publiés ; les autres sont arrondis à la dizaine."
        </p>
        <form class="card form filters" on:submit=move |ev| {
            ev.prevent_default();
            dep.set(dep_typed.get_untracked().trim().to_uppercase());
        }>
            <div class="field">
                <label for="stat-dep">"Département (vide : France entière)"</label>
                <input id="stat-dep" type="text" autocomplete="off" data-testid="stat-dep" prop:value=dep_typed on:input=move |ev| dep_typed.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for="stat-age">"Classe d'âge"</label>
                <select id="stat-age" data-testid="stat-age" on:change=move |ev| class.set(event_target_value(&ev))>
                    {AGE_CLASSES.iter().map(|c| view! { <option value=*c>{class_label(c)}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button">"Afficher"</button>
        </form>
        <p class="actions">
            <a class="button button-quiet" data-testid="download-csv" href=move || format!("{}.csv{}", base(&dep.get()), query(&dep.get(), None))>"Télécharger (CSV)"</a>
            <a class="button button-quiet" data-testid="download-json" href=move || format!("{}{}", base(&dep.get()), query(&dep.get(), None))>"Télécharger (JSON)"</a>
        </p>
        {move || match series.get() {
            None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
            Some(Err(e)) => view! { <p role="alert" class="alert alert-error">{e.message}</p> }.into_any(),
            Some(Ok(file)) => curves(file.rows).into_any(),
        }}
        {move || by_class.get().and_then(Result::ok).map(|file| coverage(file.rows))}
    }
}

fn points(rows: &[StatisticsRow], pick: fn(&StatisticsRow) -> Option<u64>) -> Vec<Option<f64>> {
    rows.iter().map(|r| pick(r).map(|v| v as f64)).collect()
}

fn curves(rows: Vec<StatisticsRow>) -> impl IntoView {
    let days: Vec<String> = rows
        .iter()
        .map(|r| r.jour.format("%d/%m/%Y").to_string())
        .collect();
    let daily = vec![
        Series::new("Premières doses", "#0a4f9e", points(&rows, |r| r.n_dose1)),
        Series::new(
            "Schémas complets",
            "#1b5e20",
            points(&rows, |r| r.n_complet),
        ),
        Series::new("Rappels", "#b35900", points(&rows, |r| r.n_rappel)),
    ];
    let cumulative = vec![
        Series::new(
            "Premières doses",
            "#0a4f9e",
            points(&rows, |r| r.n_cum_dose1),
        ),
        Series::new(
            "Schémas complets",
            "#1b5e20",
            points(&rows, |r| r.n_cum_complet),
        ),
        Series::new("Rappels", "#b35900", points(&rows, |r| r.n_cum_rappel)),
    ];
    view! {
        <section class="card" aria-labelledby="courbe-jour">
            <h2 id="courbe-jour">"Injections par jour"</h2>
            <Chart title="Injections par jour" days=days.clone() series=daily />
        </section>
        <section class="card" aria-labelledby="courbe-cumul">
            <h2 id="courbe-cumul">"Injections cumulées"</h2>
            <Chart title="Injections cumulées" days series=cumulative />
        </section>
    }
}

fn coverage(rows: Vec<StatisticsRow>) -> impl IntoView {
    // The last day of each age class (rows are ordered by class, then day).
    let mut last: Vec<StatisticsRow> = Vec::new();
    for r in rows {
        match last.last_mut() {
            Some(prev) if prev.clage_vacsi == r.clage_vacsi => *prev = r,
            _ => last.push(r),
        }
    }
    let labels: Vec<String> = last.iter().map(|r| class_label(&r.clage_vacsi)).collect();
    let values: Vec<[Option<f64>; 3]> = last
        .iter()
        .map(|r| [r.couv_dose1, r.couv_complet, r.couv_rappel])
        .collect();
    view! {
        <section class="card" aria-labelledby="couverture">
            <h2 id="couverture">"Couverture vaccinale par classe d'âge (dernier jour)"</h2>
            <Bars labels values />
        </section>
    }
}
