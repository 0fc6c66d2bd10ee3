//! The code as a QR code (SVG), drawn on the server so the SPA stays small.

use qrcode::{EcLevel, QrCode, render::svg};

/// What the phone's camera reads: the request and its code.
pub fn svg(approval_id: uuid::Uuid, code: &str) -> String {
    svg_text(&format!("vigie:{approval_id}:{code}"))
}

pub fn svg_text(content: &str) -> String {
    match QrCode::with_error_correction_level(content.as_bytes(), EcLevel::M) {
        Ok(qr) => qr
            .render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
        Err(_) => String::new(),
    }
}
