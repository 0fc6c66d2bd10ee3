//! Small SVG charts: lines over days, and grouped bars. Readable on a phone (the SVG scales to
//! the width), each with a text summary for screen readers.

use leptos::prelude::*;

#[derive(Clone)]
pub struct Series {
    pub name: &'static str,
    pub color: &'static str,
    /// One value per day; `None` where the count is not published.
    pub values: Vec<Option<f64>>,
}

impl Series {
    pub fn new(name: &'static str, color: &'static str, values: Vec<Option<f64>>) -> Self {
        Self {
            name,
            color,
            values,
        }
    }
}

const W: f64 = 640.0;
const H: f64 = 260.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 10.0;

fn path(values: &[Option<f64>], max: f64) -> String {
    let n = values.len().max(2) as f64 - 1.0;
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let x = LEFT + (W - LEFT - 8.0) * i as f64 / n;
                let y = TOP + (H - TOP - BOTTOM) * (1.0 - v / max);
                d.push_str(&format!(
                    "{}{x:.1},{y:.1} ",
                    if pen_down { "L" } else { "M" }
                ));
                pen_down = true;
            }
            // A blank (suppressed) day breaks the line instead of drawing a false zero.
            None => pen_down = false,
        }
    }
    d
}

#[component]
pub fn Chart(title: &'static str, days: Vec<String>, series: Vec<Series>) -> impl IntoView {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0_f64, |a, &b| a.max(b))
        .max(10.0);
    let published = series.iter().any(|s| s.values.iter().any(Option::is_some));
    let summary = if published {
        let last = series
            .iter()
            .map(|s| {
                let v = s.values.iter().rev().flatten().next();
                format!(
                    "{} : {}",
                    s.name,
                    v.map_or("non publié".into(), |v| format!("{v:.0}"))
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "{title}, du {} au {}. Dernières valeurs publiées — {last}.",
            days.first().cloned().unwrap_or_default(),
            days.last().cloned().unwrap_or_default()
        )
    } else {
        format!("{title} : aucun effectif publiable (moins de 11) sur la période.")
    };
    view! {
        <figure class="chart" data-testid="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary.clone() preserveAspectRatio="xMidYMid meet">
                <line x1=LEFT y1=H - BOTTOM x2=W y2=H - BOTTOM stroke="#4a5565" />
                <line x1=LEFT y1=TOP x2=LEFT y2=H - BOTTOM stroke="#4a5565" />
                <text x=LEFT - 6.0 y=TOP + 10.0 text-anchor="end" font-size="12">{format!("{max:.0}")}</text>
                <text x=LEFT - 6.0 y=H - BOTTOM text-anchor="end" font-size="12">"0"</text>
                <text x=LEFT y=H - 8.0 font-size="12">{days.first().cloned().unwrap_or_default()}</text>
                <text x=W - 4.0 y=H - 8.0 text-anchor="end" font-size="12">{days.last().cloned().unwrap_or_default()}</text>
                {series.iter().map(|s| view! {
                    <path d=path(&s.values, max) fill="none" stroke=s.color stroke-width="2.5" />
                }).collect_view()}
            </svg>
            <figcaption>
                <ul class="legend">
                    {series.iter().map(|s| view! {
                        <li><Swatch color=s.color />{s.name}</li>
                    }).collect_view()}
                </ul>
                <p class="muted">{summary}</p>
            </figcaption>
        </figure>
    }
}

/// A legend's colour square, drawn as SVG: its colour is a presentation attribute, which the
/// page's Content-Security-Policy allows (it refuses inline `style` attributes).
#[component]
fn Swatch(color: &'static str) -> impl IntoView {
    view! {
        <svg class="swatch" viewBox="0 0 12 12" aria-hidden="true">
            <rect width="12" height="12" fill=color />
        </svg>
    }
}

/// Coverage (%) by age class: three bars a class (first dose, complete, booster).
#[component]
pub fn Bars(labels: Vec<String>, values: Vec<[Option<f64>; 3]>) -> impl IntoView {
    const COLORS: [&str; 3] = ["#0a4f9e", "#1b5e20", "#b35900"];
    const NAMES: [&str; 3] = ["Première dose", "Schéma complet", "Rappel"];
    let row = 30.0;
    let height = TOP + row * labels.len() as f64 + 10.0;
    let label_w = 130.0;
    view! {
        <figure class="chart" data-testid="coverage">
            <svg viewBox=format!("0 0 {W} {height}") role="img" aria-label="Couverture vaccinale par classe d'âge, en pourcentage de la population">
                {labels.iter().zip(values.iter()).enumerate().map(|(i, (label, v))| {
                    let y = TOP + row * i as f64;
                    view! {
                        <text x=label_w - 6.0 y=y + 16.0 text-anchor="end" font-size="12">{label.clone()}</text>
                        {v.iter().enumerate().map(|(k, value)| {
                            let w = value.map_or(0.0, |p| (W - label_w - 10.0) * (p / 100.0).clamp(0.0, 1.0));
                            view! { <rect x=label_w y=y + 2.0 + 8.0 * k as f64 width=w height="7" fill=COLORS[k] /> }
                        }).collect_view()}
                    }
                }).collect_view()}
            </svg>
            <figcaption>
                <ul class="legend">
                    {(0..3).map(|k| view! { <li><Swatch color=COLORS[k] />{NAMES[k]}</li> }).collect_view()}
                </ul>
                <table class="recap-table">
                    <caption class="visually-hidden">"Couverture par classe d'âge"</caption>
                    <thead><tr><th scope="col">"Classe"</th><th scope="col">"1re dose"</th><th scope="col">"Complet"</th><th scope="col">"Rappel"</th></tr></thead>
                    <tbody>
                        {labels.into_iter().zip(values).map(|(label, v)| view! {
                            <tr>
                                <td>{label}</td>
                                {v.iter().map(|p| view! { <td>{p.map_or("—".into(), |p| format!("{p:.1} %"))}</td> }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </figcaption>
        </figure>
    }
}
