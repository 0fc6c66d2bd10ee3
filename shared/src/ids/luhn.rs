//! Luhn (mod 10) check used by RPPS and FINESS keys.

/// True when `digits` (ASCII digits only, key last) passes the Luhn check.
pub(crate) fn is_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        let Some(mut d) = (c as char).to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// The key digit that makes `body` + key pass the Luhn check.
#[cfg(test)]
pub(crate) fn key_for(body: &str) -> char {
    (b'0'..=b'9')
        .map(char::from)
        .find(|k| is_valid(&format!("{body}{k}")))
        .expect("one of ten keys always fits")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert!(is_valid("79927398713"));
        assert!(!is_valid("79927398710"));
        assert!(!is_valid(""));
        assert!(!is_valid("12a"));
    }

    #[test]
    fn key_for_completes_a_body() {
        assert_eq!(key_for("7992739871"), '3');
    }
}
