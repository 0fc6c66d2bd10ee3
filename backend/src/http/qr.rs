//! QR codes drawn on the server as SVG, so the SPA stays small.

use qrcode::{EcLevel, QrCode, render::svg};

/// `content` as a QR code (SVG, medium error correction); empty if it cannot be encoded.
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
