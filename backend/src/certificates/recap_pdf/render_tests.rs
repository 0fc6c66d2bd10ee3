#![allow(clippy::unwrap_used)]
// End-to-end checks of `render`, reading the PDF back with `lopdf` (an
// independent parser) and decoding the drawn QR code with `rqrr`.

use super::{QR_QUIET_MODULES, Recap, RecapInjection, render};
use chrono::{DateTime, NaiveDate, Utc};
use lopdf::content::Content;
use lopdf::{Document, Object};

/// Base45-like payload (alphanumeric QR mode), ~600 chars, like an EU DCC.
fn payload() -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut s = String::from("HC1:");
    let mut state: u32 = 12345;
    while s.len() < 600 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        s.push(ALNUM[(state >> 16) as usize % ALNUM.len()] as char);
    }
    s
}

fn injection(i: usize) -> RecapInjection {
    RecapInjection {
        date: NaiveDate::from_ymd_opt(2021, 1, 4).unwrap() + chrono::Days::new(i as u64 * 7),
        product: "Comirnaty".into(),
        manufacturer: "Pfizer-BioNTech".into(),
        lot: format!("FK{:04}", 1000 + i),
        dose: if i == 0 {
            "1/2".into()
        } else if i == 1 {
            "2/2".into()
        } else {
            "Rappel".into()
        },
        site: "Deltoïde gauche".into(),
        place: "Centre de vaccination de l’Hôtel-Dieu, Melun".into(),
        vaccinator: "Dr Jean Martin".into(),
    }
}

fn recap(n: usize) -> Recap {
    Recap {
        patient_name: "Mme Françoise Lefèvre-Dupré".into(),
        birth_date: NaiveDate::from_ymd_opt(1955, 8, 14).unwrap(),
        nir_masked: "2 55 08 ** *** *** **".into(),
        injections: (0..n).map(injection).collect(),
        issued_at: "2021-07-01T10:30:00Z".parse::<DateTime<Utc>>().unwrap(),
        issuer: "Centre de vaccination de Melun (FINESS 770012342)".into(),
        entered_by: "Saisie par Marie Dupont sous la responsabilité du Dr Jean Martin".into(),
        certificate_qr_payload: payload(),
        certificate_id: "URN:UVCI:01:FR:W7V2BE46QSBJ#L".into(),
    }
}

fn all_text(doc: &Document) -> String {
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text extraction")
}

#[test]
fn three_injections_fit_on_one_a4_page() {
    let r = recap(3);
    let pdf = render(&r);
    assert!(pdf.starts_with(b"%PDF-"));
    let doc = Document::load_mem(&pdf).expect("valid PDF");
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 1);

    let page = doc.get_dictionary(pages[&1]).unwrap();
    let media_box: Vec<f32> = page
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_float().unwrap())
        .collect();
    assert_eq!(media_box.len(), 4);
    assert!((media_box[2] - 595.28).abs() < 0.5 && (media_box[3] - 841.89).abs() < 0.5);

    let text = all_text(&doc);
    for needle in [
        "Bilan de vaccination COVID-19",
        "Mme Françoise Lefèvre-Dupré",
        "14/08/1955",
        "2 55 08 ** *** *** **",
        "Deltoïde gauche",
        "Hôtel-Dieu",
        "l’Hôtel",
        "Saisie par Marie Dupont sous la responsabilité du Dr Jean Martin",
        "Centre de vaccination de Melun (FINESS 770012342)",
        "Édité le 01/07/2021 à 12:30 (heure de Paris)",
        "Certificat COVID numérique de l'UE — identifiant : URN:UVCI:01:FR:W7V2BE46QSBJ#L",
        "Site d'injection",
        "Vaccinateur",
        "Page 1 / 1",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    for inj in &r.injections {
        assert!(text.contains(&inj.lot), "missing lot {}", inj.lot);
    }
    assert!(!text.contains("Page 1 / 2"));
}

#[test]
fn forty_injections_flow_onto_a_second_page() {
    let r = recap(40);
    let doc = Document::load_mem(&render(&r)).unwrap();
    assert_eq!(doc.get_pages().len(), 2);
    let text = all_text(&doc);
    for inj in &r.injections {
        assert!(text.contains(&inj.lot), "missing lot {}", inj.lot);
    }
    assert!(text.contains("Page 2 / 2"));
    assert!(text.contains("Injections (suite)"));
    assert!(text.contains("URN:UVCI:01:FR:W7V2BE46QSBJ#L"));
    // Table on page 1 and 2: every lot printed exactly once.
    assert_eq!(text.matches("FK10").count(), 40);
}

#[test]
fn metadata_has_title_and_date_only() {
    let doc = Document::load_mem(&render(&recap(3))).unwrap();
    let info_ref = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info_ref).unwrap();
    assert_eq!(
        info.get(b"Title").unwrap().as_str().unwrap(),
        b"Bilan de vaccination"
    );
    assert_eq!(
        info.get(b"CreationDate").unwrap().as_str().unwrap(),
        b"D:20210701103000Z"
    );
    let keys: Vec<&[u8]> = info.iter().map(|(k, _)| k.as_slice()).collect();
    for key in keys {
        assert!(
            matches!(key, b"Title" | b"CreationDate" | b"Producer"),
            "unexpected metadata key {}",
            String::from_utf8_lossy(key)
        );
    }
    let dump = format!("{info:?}");
    assert!(!dump.contains("Lef") && !dump.contains("168"));
}

/// A filled axis-aligned rectangle in page space, with its fill gray.
struct Fill {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    gray: f32,
}

type Matrix = [f32; 6];

fn concat(m: Matrix, ctm: Matrix) -> Matrix {
    [
        m[0] * ctm[0] + m[1] * ctm[2],
        m[0] * ctm[1] + m[1] * ctm[3],
        m[2] * ctm[0] + m[3] * ctm[2],
        m[2] * ctm[1] + m[3] * ctm[3],
        m[4] * ctm[0] + m[5] * ctm[2] + ctm[4],
        m[4] * ctm[1] + m[5] * ctm[3] + ctm[5],
    ]
}

fn apply(m: Matrix, x: f32, y: f32) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// Interprets the graphics operators of a page that matter for filled
/// rectangles (q Q cm g rg re f f* n S).
fn filled_rects(doc: &Document, page_no: u32) -> Vec<Fill> {
    let page_id = doc.get_pages()[&page_no];
    let ops = Content::decode(&doc.get_page_content(page_id))
        .unwrap()
        .operations;
    let num = |o: &Object| o.as_float().unwrap();
    let mut stack: Vec<(Matrix, f32)> = Vec::new();
    let mut ctm: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
    let mut gray = 0.0;
    let mut path: Vec<(f32, f32, f32, f32)> = Vec::new();
    let mut fills = Vec::new();
    for op in ops {
        let a = &op.operands;
        match op.operator.as_str() {
            "q" => stack.push((ctm, gray)),
            "Q" => (ctm, gray) = stack.pop().unwrap(),
            "cm" => {
                let m: Vec<f32> = a.iter().map(num).collect();
                ctm = concat([m[0], m[1], m[2], m[3], m[4], m[5]], ctm);
            }
            "g" => gray = num(&a[0]),
            "rg" => gray = (num(&a[0]) + num(&a[1]) + num(&a[2])) / 3.0,
            "re" => {
                let (x, y, w, h) = (num(&a[0]), num(&a[1]), num(&a[2]), num(&a[3]));
                let (ax, ay) = apply(ctm, x, y);
                let (bx, by) = apply(ctm, x + w, y + h);
                path.push((ax.min(bx), ay.min(by), ax.max(bx), ay.max(by)));
            }
            "f" | "F" | "f*" => {
                for (x0, y0, x1, y1) in path.drain(..) {
                    fills.push(Fill {
                        x0,
                        y0,
                        x1,
                        y1,
                        gray,
                    });
                }
            }
            "n" | "S" | "s" | "B" | "b" => path.clear(),
            _ => {}
        }
    }
    fills
}

/// Rasterises the page's filled rectangles (white page) and decodes every
/// QR code found with rqrr.
fn decode_qr_codes(doc: &Document, page_no: u32) -> (Vec<(rqrr::MetaData, String)>, Vec<Fill>) {
    const SCALE: f32 = 4.0; // pixels per point
    let fills = filled_rects(doc, page_no);
    let (w, h) = ((595.3 * SCALE) as usize, (841.9 * SCALE) as usize);
    let mut img = vec![255u8; w * h];
    for f in &fills {
        let level = (f.gray.clamp(0.0, 1.0) * 255.0).round() as u8;
        let px = |v: f32, max: usize| ((v * SCALE).round().max(0.0) as usize).min(max);
        let (x0, x1) = (px(f.x0, w), px(f.x1, w));
        // Flip: PDF y goes up, image rows go down.
        let (r0, r1) = (h - px(f.y1, h), h - px(f.y0, h));
        for row in r0..r1 {
            img[row * w + x0..row * w + x1].fill(level);
        }
    }
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img[y * w + x]);
    let decoded = prepared
        .detect_grids()
        .into_iter()
        .map(|g| g.decode().expect("QR decodes"))
        .collect();
    (decoded, fills)
}

#[test]
fn drawn_qr_code_decodes_to_the_payload() {
    let r = recap(3);
    let doc = Document::load_mem(&render(&r)).unwrap();
    let (codes, fills) = decode_qr_codes(&doc, 1);
    assert_eq!(codes.len(), 1, "exactly one QR code on the page");
    let (meta, text) = &codes[0];
    assert_eq!(text, &r.certificate_qr_payload);

    // Same symbol as the qrcode crate builds at level Q.
    let expected = qrcode::QrCode::with_error_correction_level(
        r.certificate_qr_payload.as_bytes(),
        qrcode::EcLevel::Q,
    )
    .unwrap();
    let modules = expected.width();
    assert_eq!(meta.version.to_size(), modules);
    assert_eq!(meta.ecc_level, 3, "ECC level Q (format bits 11)");

    // Size: dark modules span at least 5 cm; quiet zone of 4 modules is
    // white (no dark fill intersects it).
    let dark: Vec<&Fill> = fills.iter().filter(|f| f.gray < 0.5).collect();
    let x0 = dark.iter().map(|f| f.x0).fold(f32::MAX, f32::min);
    let x1 = dark.iter().map(|f| f.x1).fold(f32::MIN, f32::max);
    let y0 = dark.iter().map(|f| f.y0).fold(f32::MAX, f32::min);
    let y1 = dark.iter().map(|f| f.y1).fold(f32::MIN, f32::max);
    let width_cm = (x1 - x0) / 72.0 * 2.54;
    assert!(width_cm >= 5.0, "QR is {width_cm:.2} cm wide");
    assert!(((y1 - y0) - (x1 - x0)).abs() < 0.01, "square symbol");
    let module = (x1 - x0) / modules as f32;
    let quiet = module * QR_QUIET_MODULES as f32;
    assert!(x0 - quiet >= 0.0 && y0 - quiet >= 0.0);
    // Module by module, the drawing equals the qrcode crate's matrix.
    let expected_colors = expected.to_colors();
    for row in 0..modules {
        for col in 0..modules {
            let cx = x0 + (col as f32 + 0.5) * module;
            let cy = y1 - (row as f32 + 0.5) * module;
            let is_dark = dark
                .iter()
                .any(|f| f.x0 <= cx && cx <= f.x1 && f.y0 <= cy && cy <= f.y1);
            let want = expected_colors[row * modules + col] == qrcode::Color::Dark;
            assert_eq!(is_dark, want, "module ({row}, {col})");
        }
    }
    let white_bg = fills
        .iter()
        .find(|f| f.gray > 0.99 && f.x0 <= x0 - quiet + 0.01 && f.x1 >= x1 + quiet - 0.01)
        .expect("white quiet-zone background");
    assert!(white_bg.y0 <= y0 - quiet + 0.01 && white_bg.y1 >= y1 + quiet - 0.01);
}

#[test]
fn qr_code_on_second_page_with_many_injections() {
    let r = recap(40);
    let doc = Document::load_mem(&render(&r)).unwrap();
    let (codes, _) = decode_qr_codes(&doc, 2);
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].1, r.certificate_qr_payload);
}
