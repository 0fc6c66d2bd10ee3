//! Text people type that ends up on screens, mails and certificates: it may hold any letter,
//! never a character that is invisible or reorders what is around it.

/// True when `s` holds a control character (NUL, line breaks…), a bidirectional override or
/// isolate (U+202A–U+202E, U+2066–U+2069, the marks U+200E, U+200F, U+061C) or a zero-width
/// character (U+200B–U+200D, U+2060, U+FEFF): a name holding one could print differently from
/// what was checked.
pub fn has_hidden_characters(s: &str) -> bool {
    s.chars().any(|c| {
        c.is_control()
            || matches!(
                c,
                '\u{061C}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{FEFF}'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_pass_hidden_characters_do_not() {
        for ok in [
            "Camille",
            "Élodie-Françoise",
            "N'Diaye",
            "Ødegård",
            "李",
            "D'Aubigné Ñúñez",
        ] {
            assert!(!has_hidden_characters(ok), "{ok}");
        }
        for bad in [
            "Ca\u{0}mille",
            "Dupont\nX",
            "Tab\tbed",
            "\u{202E}dnarud",
            "Du\u{2066}rand\u{2069}",
            "Zero\u{200B}width",
            "\u{FEFF}Bom",
            "Mark\u{200F}",
            "Arabic\u{061C}mark",
            "Word\u{2060}joiner",
            "Del\u{7F}",
        ] {
            assert!(has_hidden_characters(bad), "{bad:?}");
        }
    }
}
