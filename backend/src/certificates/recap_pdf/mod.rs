//! Rendu PDF du « Bilan de vaccination COVID-19 » (A4).
//!
//! Self-contained module: [`render`] turns a [`Recap`] into the bytes of a PDF
//! document. It only uses the standard Type 1 fonts Helvetica and
//! Helvetica-Bold with `WinAnsiEncoding` (no font embedding), so every text
//! goes through [`to_winansi`] (UTF-8 → Windows-1252, unmappable → `?`).
//! Line breaking uses the Adobe metrics of those two fonts (see [`glyph_width`]).
//!
//! The QR code of the EU digital COVID certificate is drawn as vector
//! rectangles (one rectangle per horizontal run of dark modules), with a
//! four-module quiet zone.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use qrcode::{Color, EcLevel, QrCode};

/// Data shown on the vaccination recap.
#[derive(Debug, Clone)]
pub struct Recap {
    /// e.g. "Mme Camille Durand".
    pub patient_name: String,
    pub birth_date: NaiveDate,
    /// e.g. "2 55 08 ** *** *** **" — never the full NIR.
    pub nir_masked: String,
    pub injections: Vec<RecapInjection>,
    pub issued_at: DateTime<Utc>,
    /// e.g. "Centre de vaccination de Melun (FINESS 770012342)".
    pub issuer: String,
    /// e.g. "Saisie par Marie Dupont sous la responsabilité du Dr Jean Martin"
    /// or "Dr Jean Martin".
    pub entered_by: String,
    /// EU DCC string ("HC1:..."), encoded in the QR code.
    pub certificate_qr_payload: String,
    /// e.g. "URN:UVCI:01:FR:...".
    pub certificate_id: String,
}

/// One injection (one table row).
#[derive(Debug, Clone)]
pub struct RecapInjection {
    pub date: NaiveDate,
    pub product: String,
    pub manufacturer: String,
    pub lot: String,
    /// e.g. "2/2", "Rappel".
    pub dose: String,
    pub site: String,
    pub place: String,
    pub vaccinator: String,
}

/// Title written in the PDF metadata (the only metadata describing content).
pub const METADATA_TITLE: &str = "Bilan de vaccination";
/// Title printed at the top of the first page.
pub const DOCUMENT_TITLE: &str = "Bilan de vaccination COVID-19";

// ---------------------------------------------------------------------------
// Page geometry (PDF points, origin bottom-left).

/// A4 width in points (210 mm).
pub const PAGE_W: f32 = 595.276;
/// A4 height in points (297 mm).
pub const PAGE_H: f32 = 841.89;
/// Left and right margins.
pub const MARGIN_X: f32 = 42.0;
const TOP: f32 = PAGE_H - 46.0;
/// Lowest y the body may reach (the footer lives below).
const BOTTOM: f32 = 58.0;
const FOOTER_BASELINE: f32 = 30.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const MM: f32 = 72.0 / 25.4;
/// Width of the QR symbol itself (without the quiet zone): 55 mm.
pub const QR_SYMBOL_W: f32 = 55.0 * MM;
/// Quiet zone, in modules (ISO/IEC 18004 asks for 4).
pub const QR_QUIET_MODULES: usize = 4;

/// Table: header label and column width (the last one takes the rest).
const COLUMNS: [(&str, f32); 7] = [
    ("Date", 50.0),
    ("Vaccin", 94.0),
    ("Lot", 58.0),
    ("Dose", 36.0),
    ("Site d'injection", 68.0),
    ("Lieu", 105.0),
    (
        "Vaccinateur",
        CONTENT_W - (50.0 + 94.0 + 58.0 + 36.0 + 68.0 + 105.0),
    ),
];
const CELL_PAD_X: f32 = 3.0;
const CELL_PAD_Y: f32 = 2.5;
const CELL_SIZE: f32 = 8.0;
const CELL_LEADING: f32 = 9.4;
const CELL_MAX_LINES: usize = 4;

// ---------------------------------------------------------------------------
// UTF-8 → WinAnsi (Windows-1252).

/// Converts a UTF-8 string to WinAnsiEncoding (Windows-1252) bytes, one byte
/// per character.
///
/// * U+0020–U+007E and U+00A0–U+00FF map to the same byte;
/// * the 27 characters of 0x80–0x9F (€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ)
///   map to their Windows-1252 byte;
/// * whitespace and control characters become a space (0x20), except the
///   no-break spaces U+202F / U+2007 / U+2060 which become 0xA0, and a few
///   look-alikes are folded (U+2010/U+2011/U+2212 → '-', U+2032 → ’);
/// * everything else becomes `?`.
pub fn to_winansi(text: &str) -> Vec<u8> {
    text.chars().map(winansi_byte).collect()
}

fn winansi_byte(c: char) -> u8 {
    let code = c as u32;
    match c {
        ' '..='~' => code as u8,
        '\u{A0}'..='\u{FF}' => code as u8,
        '\u{202F}' | '\u{2007}' | '\u{2060}' => 0xA0,
        '\u{2010}' | '\u{2011}' | '\u{2212}' => b'-',
        '\u{20AC}' => 0x80,
        '\u{201A}' => 0x82,
        '\u{0192}' => 0x83,
        '\u{201E}' => 0x84,
        '\u{2026}' => 0x85,
        '\u{2020}' => 0x86,
        '\u{2021}' => 0x87,
        '\u{02C6}' => 0x88,
        '\u{2030}' => 0x89,
        '\u{0160}' => 0x8A,
        '\u{2039}' => 0x8B,
        '\u{0152}' => 0x8C,
        '\u{017D}' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' | '\u{2032}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '\u{2022}' => 0x95,
        '\u{2013}' => 0x96,
        '\u{2014}' => 0x97,
        '\u{02DC}' => 0x98,
        '\u{2122}' => 0x99,
        '\u{0161}' => 0x9A,
        '\u{203A}' => 0x9B,
        '\u{0153}' => 0x9C,
        '\u{017E}' => 0x9E,
        '\u{0178}' => 0x9F,
        c if c.is_whitespace() || c.is_control() => b' ',
        _ => b'?',
    }
}

// ---------------------------------------------------------------------------
// Font metrics (Adobe Core 14 AFM widths, 1/1000 em, WinAnsi code points).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

/// Widths of 0x20..=0x7E.
const HELVETICA_ASCII: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 0x70
];
const HELVETICA_BOLD_ASCII: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // 0x70
];

/// Width of one WinAnsi byte in 1/1000 em.
fn glyph_width(font: Font, byte: u8) -> u16 {
    let bold = font == Font::Bold;
    let pick = |regular: u16, b: u16| if bold { b } else { regular };
    match byte {
        0x20..=0x7E => {
            let i = usize::from(byte - 0x20);
            if bold {
                HELVETICA_BOLD_ASCII[i]
            } else {
                HELVETICA_ASCII[i]
            }
        }
        0x82 | 0x91 | 0x92 => pick(222, 278),
        0x84 | 0x93 | 0x94 => pick(333, 500),
        0x85 | 0x89 | 0x8C | 0x97 | 0x99 | 0xC6 => 1000,
        0x88 | 0x8B | 0x98 | 0x9B | 0xA1 | 0xA8 | 0xAD | 0xAF => 333,
        0xB2..=0xB4 | 0xB8 | 0xB9 => 333,
        0x8A | 0x9F | 0xDD | 0xDE => 667,
        0x8E => 611,
        0x95 => 350,
        0x9A => pick(500, 556),
        0x9C => 944,
        0x9E => 500,
        0xA0 | 0xB7 => 278,
        0xA6 => pick(260, 280),
        0xA9 | 0xAE => 737,
        0xAA => 370,
        0xAC | 0xB1 | 0xD7 | 0xF7 => 584,
        0xB0 => 400,
        0xB5 => pick(556, 611),
        0xB6 => pick(537, 556),
        0xBA => 365,
        0xBC..=0xBE => 834,
        0xBF | 0xDF | 0xF8 => 611,
        0xC0..=0xC5 => pick(667, 722),
        0xC7 | 0xD0 | 0xD1 | 0xD9..=0xDC => 722,
        0xC8..=0xCB => 667,
        0xCC..=0xCF | 0xEC..=0xEF => 278,
        0xD2..=0xD6 | 0xD8 => 778,
        0xE6 => 889,
        0xE7 => pick(500, 556),
        0xE0..=0xE5 | 0xE8..=0xEB => 556,
        0xF0..=0xF6 | 0xF9..=0xFC | 0xFE => pick(556, 611),
        0xFD | 0xFF => pick(500, 556),
        // € ƒ † ‡ – « » ¢ £ ¤ ¥ § and anything else: 556 (the widest
        // "ordinary" advance, a safe default).
        _ => 556,
    }
}

impl Font {
    fn resource(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }

    /// Advance width of `text` (WinAnsi bytes) at `size` points.
    fn width(self, text: &[u8], size: f32) -> f32 {
        let units: u32 = text.iter().map(|&b| u32::from(glyph_width(self, b))).sum();
        units as f32 * size / 1000.0
    }
}

// ---------------------------------------------------------------------------
// Line breaking.

const ELLIPSIS: u8 = 0x85;

/// Greedy line breaking of WinAnsi text on spaces; words wider than
/// `max_w` are cut between characters. At most `max_lines` lines are kept,
/// the last one ending with "…" when text was dropped.
fn wrap(text: &[u8], font: Font, size: f32, max_w: f32, max_lines: usize) -> Vec<Vec<u8>> {
    let max_w = max_w - 0.01; // tolerate float rounding, never exceed
    let space_w = font.width(b" ", size);
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut current_w = 0.0;
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let word_w = font.width(word, size);
        if !current.is_empty() && current_w + space_w + word_w <= max_w {
            current.push(b' ');
            current.extend_from_slice(word);
            current_w += space_w + word_w;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        let mut rest = word;
        while font.width(rest, size) > max_w {
            let cut = fitting_prefix(rest, font, size, max_w).max(1);
            lines.push(rest[..cut].to_vec());
            rest = &rest[cut..];
        }
        current = rest.to_vec();
        current_w = font.width(rest, size);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines.max(1) {
        lines.truncate(max_lines.max(1));
        let last = lines.last_mut().expect("at least one line");
        let ell_w = font.width(&[ELLIPSIS], size);
        while !last.is_empty() && font.width(last, size) + ell_w > max_w {
            last.pop();
        }
        while last.last() == Some(&b' ') {
            last.pop();
        }
        last.push(ELLIPSIS);
    }
    lines
}

/// Number of leading bytes of `text` whose width fits in `max_w`.
fn fitting_prefix(text: &[u8], font: Font, size: f32, max_w: f32) -> usize {
    let mut w = 0.0;
    for (i, &b) in text.iter().enumerate() {
        w += f32::from(glyph_width(font, b)) * size / 1000.0;
        if w > max_w {
            return i;
        }
    }
    text.len()
}

// ---------------------------------------------------------------------------
// Dates.

fn format_date(d: NaiveDate) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// "Édité le dd/mm/yyyy à HH:MM (heure de Paris)", in Europe/Paris time.
pub fn issued_line(issued_at: DateTime<Utc>) -> String {
    let paris = issued_at.with_timezone(&chrono_tz::Europe::Paris);
    format!(
        "Édité le {} à {:02}:{:02} (heure de Paris)",
        format_date(paris.date_naive()),
        paris.hour(),
        paris.minute()
    )
}

fn pdf_date(t: DateTime<Utc>) -> Date {
    // Years outside 0..=9999 cannot be written in a PDF date anyway.
    let year = u16::try_from(t.year().clamp(0, 9999)).unwrap_or(0);
    Date::new(year)
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second().min(59) as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

// ---------------------------------------------------------------------------
// Layout.

struct Layout {
    pages: Vec<Content>,
    /// Top of the free area on the current page.
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Layout {
            pages: vec![Content::new()],
            y: TOP,
        }
    }

    fn content(&mut self) -> &mut Content {
        self.pages.last_mut().expect("at least one page")
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` fits below the cursor.
    fn reserve(&mut self, height: f32) {
        if self.y - height < BOTTOM && self.y < TOP {
            self.new_page();
        }
    }

    /// One line of text; `top` is the top of its line box.
    fn text_at(&mut self, x: f32, top: f32, font: Font, size: f32, text: &[u8]) {
        // Baseline: Helvetica ascender ≈ 0.72 em below the top of the line.
        let baseline = top - size * 0.9;
        self.content()
            .begin_text()
            .set_font(font.resource(), size)
            .next_line(x, baseline)
            .show(Str(text))
            .end_text();
    }

    /// Wrapped paragraph at the cursor, may continue on the next page.
    fn paragraph(&mut self, font: Font, size: f32, leading: f32, text: &str, max_lines: usize) {
        let lines = wrap(&to_winansi(text), font, size, CONTENT_W, max_lines);
        for line in lines {
            self.reserve(leading);
            let top = self.y;
            self.text_at(MARGIN_X, top, font, size, &line);
            self.y -= leading;
        }
    }

    /// "Label : value", the value wrapped in the space right of the label.
    fn label_value(&mut self, label: &str, value: &str, size: f32, leading: f32, max_lines: usize) {
        let label = to_winansi(label);
        let label_w = Font::Bold.width(&label, size);
        let value_x = MARGIN_X + label_w;
        let lines = wrap(
            &to_winansi(value),
            Font::Regular,
            size,
            CONTENT_W - label_w,
            max_lines,
        );
        self.reserve(leading * lines.len() as f32);
        let top = self.y;
        self.text_at(MARGIN_X, top, Font::Bold, size, &label);
        for line in lines {
            let top = self.y;
            self.text_at(value_x, top, Font::Regular, size, &line);
            self.y -= leading;
        }
    }

    fn rule(&mut self, y: f32, gray: f32, width: f32) {
        self.content()
            .save_state()
            .set_stroke_gray(gray)
            .set_line_width(width)
            .move_to(MARGIN_X, y)
            .line_to(MARGIN_X + CONTENT_W, y)
            .stroke()
            .restore_state();
    }

    fn table_header(&mut self) {
        let cells: Vec<Vec<Vec<u8>>> = COLUMNS
            .iter()
            .map(|(label, w)| {
                wrap(
                    &to_winansi(label),
                    Font::Bold,
                    CELL_SIZE,
                    w - 2.0 * CELL_PAD_X,
                    2,
                )
            })
            .collect();
        let height = row_height(&cells);
        let top = self.y;
        self.content()
            .save_state()
            .set_fill_gray(0.9)
            .rect(MARGIN_X, top - height, CONTENT_W, height)
            .fill_nonzero()
            .restore_state();
        self.cells(&cells, Font::Bold);
        self.y -= height;
        let y = self.y;
        self.rule(y, 0.35, 0.8);
    }

    fn cells(&mut self, cells: &[Vec<Vec<u8>>], font: Font) {
        let mut x = MARGIN_X;
        for ((_, col_w), lines) in COLUMNS.iter().zip(cells) {
            let mut top = self.y - CELL_PAD_Y;
            for line in lines {
                self.text_at(x + CELL_PAD_X, top, font, CELL_SIZE, line);
                top -= CELL_LEADING;
            }
            x += col_w;
        }
    }

    fn table(&mut self, injections: &[RecapInjection]) {
        self.reserve(3.0 * CELL_LEADING + 4.0 * CELL_PAD_Y);
        self.table_header();
        if injections.is_empty() {
            self.y -= 4.0;
            self.paragraph(Font::Regular, 9.0, 12.0, "Aucune injection enregistrée.", 1);
            return;
        }
        for inj in injections {
            let cells = injection_cells(inj);
            let height = row_height(&cells);
            if self.y - height < BOTTOM {
                self.new_page();
                self.text_at(
                    MARGIN_X,
                    TOP,
                    Font::Bold,
                    10.0,
                    &to_winansi("Injections (suite)"),
                );
                self.y -= 18.0;
                self.table_header();
            }
            self.cells(&cells, Font::Regular);
            self.y -= height;
            let y = self.y;
            self.rule(y, 0.75, 0.4);
        }
    }

    /// QR code (vector squares, quiet zone included) and its caption; a
    /// message replaces the code if the payload is too large even at level L.
    fn qr_block(&mut self, payload: &str, certificate_id: &str) {
        let caption =
            format!("Certificat COVID numérique de l'UE — identifiant : {certificate_id}");
        let caption_lines = wrap(&to_winansi(&caption), Font::Regular, 8.5, CONTENT_W, 3);
        let Some(code) = build_qr(payload) else {
            self.paragraph(
                Font::Bold,
                9.0,
                12.0,
                "QR code indisponible (données trop volumineuses).",
                1,
            );
            self.paragraph(Font::Regular, 8.5, 10.5, &caption, 3);
            return;
        };
        let n = code.width();
        let module = QR_SYMBOL_W / n as f32;
        let total = module * (n + 2 * QR_QUIET_MODULES) as f32;
        self.reserve(total + 4.0 + 10.5 * caption_lines.len() as f32);
        let top = self.y;
        let x0 = MARGIN_X;
        let colors = code.to_colors();
        let content = self.content();
        // Quiet zone / background, explicitly white.
        content
            .save_state()
            .set_fill_gray(1.0)
            .rect(x0, top - total, total, total)
            .fill_nonzero();
        // Module space: origin at the symbol's top-left module, y downwards,
        // one unit per module.
        let origin_x = x0 + module * QR_QUIET_MODULES as f32;
        let origin_y = top - module * QR_QUIET_MODULES as f32;
        content.transform([module, 0.0, 0.0, -module, origin_x, origin_y]);
        content.set_fill_gray(0.0);
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if colors[row * n + col] == Color::Dark {
                    let start = col;
                    while col < n && colors[row * n + col] == Color::Dark {
                        col += 1;
                    }
                    content.rect(start as f32, row as f32, (col - start) as f32, 1.0);
                } else {
                    col += 1;
                }
            }
        }
        content.fill_nonzero().restore_state();
        self.y -= total + 4.0;
        for line in caption_lines {
            let top = self.y;
            self.text_at(MARGIN_X, top, Font::Regular, 8.5, &line);
            self.y -= 10.5;
        }
    }
}

/// Builds the QR code at level Q (DCC recommendation), else M, else L.
fn build_qr(payload: &str) -> Option<QrCode> {
    [EcLevel::Q, EcLevel::M, EcLevel::L]
        .into_iter()
        .find_map(|level| QrCode::with_error_correction_level(payload.as_bytes(), level).ok())
}

fn injection_cells(inj: &RecapInjection) -> Vec<Vec<Vec<u8>>> {
    let cell = |text: &str, col: usize| {
        wrap(
            &to_winansi(text),
            Font::Regular,
            CELL_SIZE,
            COLUMNS[col].1 - 2.0 * CELL_PAD_X,
            CELL_MAX_LINES,
        )
    };
    let vaccine = if inj.manufacturer.trim().is_empty() {
        cell(&inj.product, 1)
    } else {
        let mut lines = cell(&inj.product, 1);
        lines.extend(cell(&inj.manufacturer, 1));
        if lines.len() > CELL_MAX_LINES {
            // Re-wrap as one text so the truncation ellipsis is placed properly.
            lines = cell(&format!("{} {}", inj.product, inj.manufacturer), 1);
        }
        lines
    };
    vec![
        cell(&format_date(inj.date), 0),
        vaccine,
        cell(&inj.lot, 2),
        cell(&inj.dose, 3),
        cell(&inj.site, 4),
        cell(&inj.place, 5),
        cell(&inj.vaccinator, 6),
    ]
}

fn row_height(cells: &[Vec<Vec<u8>>]) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    lines as f32 * CELL_LEADING + 2.0 * CELL_PAD_Y
}

fn entered_by_line(entered_by: &str) -> String {
    let trimmed = entered_by.trim();
    if trimmed.to_lowercase().starts_with("saisi") {
        trimmed.to_string()
    } else {
        format!("Saisie par {trimmed}")
    }
}

fn layout(recap: &Recap) -> Vec<Content> {
    let mut l = Layout::new();

    // Title.
    let top = l.y;
    let title = wrap(&to_winansi(DOCUMENT_TITLE), Font::Bold, 18.0, CONTENT_W, 1);
    l.text_at(MARGIN_X, top, Font::Bold, 18.0, &title[0]);
    l.y -= 26.0;
    let y = l.y;
    l.rule(y, 0.2, 1.0);
    l.y -= 12.0;

    // Patient.
    l.label_value("Patient : ", &recap.patient_name, 10.5, 14.0, 2);
    l.label_value(
        "Date de naissance : ",
        &format_date(recap.birth_date),
        10.5,
        14.0,
        1,
    );
    l.label_value("NIR : ", &recap.nir_masked, 10.5, 14.0, 1);
    l.y -= 12.0;

    // Injections.
    l.reserve(60.0);
    let top = l.y;
    l.text_at(MARGIN_X, top, Font::Bold, 12.0, &to_winansi("Injections"));
    l.y -= 18.0;
    l.table(&recap.injections);
    l.y -= 14.0;

    // Entered by, issuer, date of issue.
    l.paragraph(
        Font::Regular,
        9.5,
        12.5,
        &entered_by_line(&recap.entered_by),
        4,
    );
    l.y -= 3.0;
    l.label_value("Émetteur : ", &recap.issuer, 9.5, 12.5, 3);
    l.y -= 3.0;
    l.paragraph(Font::Regular, 9.5, 12.5, &issued_line(recap.issued_at), 1);
    l.y -= 14.0;

    // Certificate QR code.
    l.qr_block(&recap.certificate_qr_payload, &recap.certificate_id);

    // Footers ("page i / n").
    let count = l.pages.len();
    let footer_name = wrap(
        &to_winansi(&recap.patient_name),
        Font::Regular,
        7.5,
        300.0,
        1,
    )
    .swap_remove(0);
    for (i, page) in l.pages.iter_mut().enumerate() {
        let mut left = to_winansi(DOCUMENT_TITLE);
        left.extend_from_slice(&to_winansi(" — "));
        left.extend_from_slice(&footer_name);
        let right = to_winansi(&format!("Page {} / {}", i + 1, count));
        let right_w = Font::Regular.width(&right, 7.5);
        page.save_state().set_fill_gray(0.4);
        for (x, text) in [(MARGIN_X, &left), (PAGE_W - MARGIN_X - right_w, &right)] {
            page.begin_text()
                .set_font(Font::Regular.resource(), 7.5)
                .next_line(x, FOOTER_BASELINE)
                .show(Str(text))
                .end_text();
        }
        page.restore_state();
    }
    l.pages
}

// ---------------------------------------------------------------------------
// PDF serialisation.

/// Renders the recap as an A4 PDF document.
pub fn render(recap: &Recap) -> Vec<u8> {
    let pages = layout(recap);

    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id)
        .pages(tree_id)
        .lang(TextStr("fr-FR"));
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    for (id, base) in [(regular_id, "Helvetica"), (bold_id, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info_id)
        .title(TextStr(METADATA_TITLE))
        .producer(TextStr("Vigie"))
        .creation_date(pdf_date(recap.issued_at));

    for (content, page_id) in pages.into_iter().zip(&page_ids) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.parent(tree_id)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(content_id);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Font::Regular.resource(), regular_id);
        fonts.pair(Font::Bold.resource(), bold_id);
        fonts.finish();
        resources.finish();
        page.finish();

        let raw = content.finish();
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6);
        pdf.stream(content_id, &compressed)
            .filter(Filter::FlateDecode);
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winansi_mapping() {
        assert_eq!(to_winansi("é"), vec![0xE9]);
        assert_eq!(to_winansi("€"), vec![0x80]);
        assert_eq!(to_winansi("’"), vec![0x92]);
        assert_eq!(to_winansi("✓"), vec![b'?']);
        assert_eq!(to_winansi("漢😀"), vec![b'?', b'?']);
        assert_eq!(to_winansi("Éèàçô"), vec![0xC9, 0xE8, 0xE0, 0xE7, 0xF4]);
        assert_eq!(to_winansi("œŒ—…"), vec![0x9C, 0x8C, 0x97, 0x85]);
        assert_eq!(to_winansi("a\tb\nc"), b"a b c".to_vec());
        assert_eq!(to_winansi("10\u{202F}%"), vec![b'1', b'0', 0xA0, b'%']);
        assert_eq!(to_winansi("Abc 123 ~"), b"Abc 123 ~".to_vec());
        // C1 controls are not the Windows-1252 printable characters.
        assert_eq!(to_winansi("\u{80}\u{92}"), b"  ".to_vec());
    }

    #[test]
    fn widths_follow_afm() {
        // "Helvetica": H 722 + e 556 + l 222 + v 500 + e 556 + t 278 + i 222 + c 500 + a 556.
        let w = Font::Regular.width(b"Helvetica", 1000.0);
        assert!((w - 4112.0).abs() < 0.01, "{w}");
        assert_eq!(glyph_width(Font::Regular, 0xE9), 556);
        assert_eq!(glyph_width(Font::Bold, b'i'), 278);
    }

    #[test]
    fn wrap_respects_width_and_line_limit() {
        let text =
            to_winansi("Centre hospitalier intercommunal de Créteil – service de vaccination");
        let lines = wrap(&text, Font::Regular, 8.0, 80.0, 10);
        assert!(lines.len() > 2);
        for line in &lines {
            assert!(Font::Regular.width(line, 8.0) <= 80.0);
        }
        let joined: Vec<u8> = lines.join(&b' ');
        assert_eq!(joined, text);

        let long = vec![b'X'; 500];
        let lines = wrap(&long, Font::Bold, 8.0, 50.0, 3);
        assert_eq!(lines.len(), 3);
        assert_eq!(*lines[2].last().unwrap(), ELLIPSIS);
        for line in &lines {
            assert!(Font::Bold.width(line, 8.0) <= 50.0);
        }
        assert_eq!(
            wrap(b"", Font::Regular, 8.0, 50.0, 3),
            vec![Vec::<u8>::new()]
        );
    }

    #[test]
    fn issued_line_uses_paris_time_with_dst() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // Summer (UTC+2).
        assert_eq!(
            issued_line(at("2021-07-01T10:30:00Z")),
            "Édité le 01/07/2021 à 12:30 (heure de Paris)"
        );
        // Winter (UTC+1).
        assert_eq!(
            issued_line(at("2021-12-01T10:30:00Z")),
            "Édité le 01/12/2021 à 11:30 (heure de Paris)"
        );
        // Across midnight and right after the spring-forward switch (28/03/2021 01:00 UTC).
        assert_eq!(
            issued_line(at("2021-03-28T01:05:00Z")),
            "Édité le 28/03/2021 à 03:05 (heure de Paris)"
        );
        assert_eq!(
            issued_line(at("2021-03-28T00:55:00Z")),
            "Édité le 28/03/2021 à 01:55 (heure de Paris)"
        );
        assert_eq!(
            issued_line(at("2021-12-31T23:30:00Z")),
            "Édité le 01/01/2022 à 00:30 (heure de Paris)"
        );
    }

    #[test]
    fn entered_by_prefix() {
        assert_eq!(
            entered_by_line("Dr Jean Martin"),
            "Saisie par Dr Jean Martin"
        );
        let delegated = "Saisie par Marie Dupont sous la responsabilité du Dr Jean Martin";
        assert_eq!(entered_by_line(delegated), delegated);
    }

    /// Every shown string, measured with the same metrics, stays inside the
    /// page margins, even with absurdly long input.
    #[test]
    fn long_text_never_overflows() {
        let long = "Établissement ".repeat(40) + &"X".repeat(300);
        let inj = RecapInjection {
            date: NaiveDate::from_ymd_opt(2021, 5, 3).unwrap(),
            product: long.clone(),
            manufacturer: long.clone(),
            lot: "L".repeat(120),
            dose: "Rappel supplémentaire n°3".into(),
            site: long.clone(),
            place: long.clone(),
            vaccinator: long.clone(),
        };
        let recap = Recap {
            patient_name: long.clone(),
            birth_date: NaiveDate::from_ymd_opt(1955, 8, 14).unwrap(),
            nir_masked: long.clone(),
            injections: vec![inj; 12],
            issued_at: "2021-07-01T10:30:00Z".parse().unwrap(),
            issuer: long.clone(),
            entered_by: long.clone(),
            certificate_qr_payload: "HC1:ABC".into(),
            certificate_id: "URN:UVCI:01:FR:".to_string() + &"W".repeat(400),
        };
        let pdf = render(&recap);
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let mut shown = 0;
        for (_, page_id) in doc.get_pages() {
            let content = lopdf::content::Content::decode(&doc.get_page_content(page_id)).unwrap();
            let (mut font, mut size, mut x, mut y) = (Font::Regular, 0.0, 0.0, 0.0);
            for op in &content.operations {
                match op.operator.as_str() {
                    "Tf" => {
                        font = if op.operands[0].as_name().unwrap() == b"F2" {
                            Font::Bold
                        } else {
                            Font::Regular
                        };
                        size = op.operands[1].as_float().unwrap();
                    }
                    "Td" => {
                        x = op.operands[0].as_float().unwrap();
                        y = op.operands[1].as_float().unwrap();
                    }
                    "Tj" => {
                        let bytes = op.operands[0].as_str().unwrap();
                        let right = x + font.width(bytes, size);
                        assert!(x >= MARGIN_X - 0.01, "x={x}");
                        assert!(right <= PAGE_W - MARGIN_X + 0.01, "right={right}");
                        assert!((FOOTER_BASELINE - 0.01..=TOP).contains(&y), "y={y}");
                        shown += 1;
                    }
                    _ => {}
                }
            }
        }
        assert!(shown > 50);
    }
}

#[cfg(test)]
mod render_tests;
