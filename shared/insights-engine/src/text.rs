//! Text normalisation for English and Arabic bank descriptions: one canonical token stream that
//! the counterparty fingerprint and the keyword rules both read.
//!
//! Rules: Latin upper-cased; Arabic-Indic digits (٠–٩, ۰–۹) mapped to ASCII; Arabic diacritics
//! and tatweel removed; alef (أ إ آ ٱ → ا), yeh (ى ئ ی → ي), teh marbuta (ة → ه), waw hamza
//! (ؤ → و) and kaf (ک → ك) variants unified; everything else that is not a letter or digit
//! separates tokens; the Arabic article "ال" is stripped from words of five letters or more.

/// ASCII byte → normalised byte (upper-cased letter or digit), 0 for a separator.
const ASCII_MAP: [u8; 128] = {
    let mut map = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        map[b] = if c.is_ascii_lowercase() {
            c.to_ascii_uppercase()
        } else if c.is_ascii_alphanumeric() {
            c
        } else {
            0
        };
        b += 1;
    }
    map
};

/// Writes the normalised text of `input` into `out` (cleared first): canonical tokens
/// separated by single spaces.
pub fn normalize_into(input: &str, out: &mut String) {
    out.clear();
    if input.is_ascii() {
        // Fast path for the common all-ASCII description: a byte table, no char decoding.
        let mut bytes = std::mem::take(out).into_bytes();
        let mut pending_space = false;
        for &b in input.as_bytes() {
            let mapped = ASCII_MAP[usize::from(b & 0x7f)];
            if mapped == 0 {
                pending_space = true;
                continue;
            }
            if pending_space && !bytes.is_empty() {
                bytes.push(b' ');
            }
            pending_space = false;
            bytes.push(mapped);
        }
        // Only ASCII bytes were written.
        *out = String::from_utf8(bytes).unwrap_or_default();
        return;
    }
    let mut pending_space = false;
    for c in input.chars() {
        let mapped = map_char(c);
        match mapped {
            Mapped::Keep(ch) => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(ch);
            }
            Mapped::Upper(ch) => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.extend(ch.to_uppercase());
            }
            Mapped::Drop => {}
            Mapped::Separator => pending_space = true,
        }
    }
}

enum Mapped {
    Keep(char),
    Upper(char),
    Drop,
    Separator,
}

#[inline]
fn map_char(c: char) -> Mapped {
    if c.is_ascii() {
        return if c.is_ascii_lowercase() {
            Mapped::Keep(c.to_ascii_uppercase())
        } else if c.is_ascii_alphanumeric() {
            Mapped::Keep(c)
        } else {
            Mapped::Separator
        };
    }
    let code = c as u32;
    match code {
        // Arabic-Indic and Extended Arabic-Indic digits.
        0x0660..=0x0669 => Mapped::Keep(char::from(b'0' + (code - 0x0660) as u8)),
        0x06F0..=0x06F9 => Mapped::Keep(char::from(b'0' + (code - 0x06F0) as u8)),
        // Harakat, tanween, shadda, sukun, superscript alef, tatweel.
        0x064B..=0x065F | 0x0670 | 0x0640 => Mapped::Drop,
        0x0622 | 0x0623 | 0x0625 | 0x0671 => Mapped::Keep('\u{0627}'),
        0x0649 | 0x0626 | 0x06CC => Mapped::Keep('\u{064A}'),
        0x0629 => Mapped::Keep('\u{0647}'),
        0x0624 => Mapped::Keep('\u{0648}'),
        0x06A9 => Mapped::Keep('\u{0643}'),
        0x0621..=0x063A | 0x0641..=0x064A => Mapped::Keep(c),
        _ if c.is_alphanumeric() => Mapped::Upper(c),
        _ => Mapped::Separator,
    }
}

/// The article and its common contractions: "ال", "لل" (for the), "بال" (with the), "وال"
/// (and the).
const ARTICLES: [&str; 4] = [
    "\u{0648}\u{0627}\u{0644}",
    "\u{0628}\u{0627}\u{0644}",
    "\u{0627}\u{0644}",
    "\u{0644}\u{0644}",
];

/// The canonical form of one normalised token: drops the Arabic article from long words so
/// that "الراتب", "للراتب" and "راتب" compare equal.
#[inline]
pub fn canonical_token(token: &str) -> &str {
    if token.is_ascii() {
        return token;
    }
    for article in ARTICLES {
        if let Some(rest) = token.strip_prefix(article) {
            // Arabic letters are two bytes each: at least three letters must remain.
            if rest.len() >= 6 {
                return rest;
            }
        }
    }
    token
}

/// Splits normalised text into canonical tokens, reusing `tokens`.
pub fn tokenize<'a>(normalized: &'a str, tokens: &mut Vec<&'a str>) {
    tokens.clear();
    if normalized.is_empty() {
        return;
    }
    if normalized.is_ascii() {
        // No Arabic article to strip: split on the single spaces by byte.
        let bytes = normalized.as_bytes();
        let mut start = 0;
        for (i, b) in bytes.iter().enumerate() {
            if *b == b' ' {
                if let Some(token) = normalized.get(start..i) {
                    tokens.push(token);
                }
                start = i + 1;
            }
        }
        if let Some(token) = normalized.get(start..) {
            tokens.push(token);
        }
        return;
    }
    tokens.extend(normalized.split(' ').map(canonical_token));
}

/// Normalises a short phrase (a keyword table entry) into owned canonical tokens.
pub fn phrase_tokens(phrase: &str) -> Vec<String> {
    let mut norm = String::new();
    normalize_into(phrase, &mut norm);
    let mut tokens = Vec::new();
    tokenize(&norm, &mut tokens);
    tokens.into_iter().map(str::to_owned).collect()
}

#[inline]
pub fn has_digit(token: &str) -> bool {
    token.bytes().any(|b| b.is_ascii_digit())
}

/// A card mask such as "XXXX" or "XXXXXX" (digits are already dropped with their token).
#[inline]
pub fn is_mask(token: &str) -> bool {
    token.len() >= 2 && token.bytes().all(|b| b == b'X' || b == b'*')
}

/// Title case for Latin words ("LULU HYPERMARKET" → "Lulu Hypermarket"); Arabic unchanged.
pub fn title_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = true;
    for c in text.chars() {
        if c == ' ' {
            start = true;
            out.push(c);
        } else if start {
            out.push(c);
            start = false;
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(text: &str) -> String {
        let mut out = String::new();
        normalize_into(text, &mut out);
        out
    }

    #[test]
    fn latin_is_upper_cased_and_punctuation_separates() {
        assert_eq!(
            norm("  Pos purchase: Coffee-House #12 "),
            "POS PURCHASE COFFEE HOUSE 12"
        );
        assert_eq!(norm("NETFLIX.COM"), "NETFLIX COM");
        assert_eq!(norm(""), "");
        assert_eq!(norm("***"), "");
    }

    #[test]
    fn arabic_digits_and_letter_variants_are_unified() {
        // ٢٠٢٥ → 2025, إ → ا, ة → ه, ى → ي
        assert_eq!(norm("راتب ٢٠٢٥"), "راتب 2025");
        assert_eq!(norm("إيداع"), "ايداع");
        assert_eq!(norm("شركة"), "شركه");
        assert_eq!(norm("مدى"), "مدي");
        assert_eq!(norm("أبريل"), "ابريل");
        // Diacritics and tatweel vanish without splitting the word.
        assert_eq!(norm("رَاتِب"), "راتب");
        assert_eq!(norm("راـــتب"), "راتب");
        assert_eq!(norm("۱۲"), "12");
    }

    #[test]
    fn the_article_is_stripped_from_long_words_only() {
        assert_eq!(canonical_token("الراتب"), "راتب");
        assert_eq!(canonical_token("الي"), "الي");
        assert_eq!(canonical_token("للتامينات"), "تامينات");
        assert_eq!(canonical_token("ALPHA"), "ALPHA");
        let mut tokens = Vec::new();
        let text = norm("تحويل الراتب");
        tokenize(&text, &mut tokens);
        assert_eq!(tokens, vec!["تحويل", "راتب"]);
    }

    #[test]
    fn title_case_keeps_arabic() {
        assert_eq!(title_case("LULU HYPERMARKET"), "Lulu Hypermarket");
        assert_eq!(title_case("بنده"), "بنده");
    }
}
