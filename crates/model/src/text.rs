//! Text as govwire compares and searches it.
//!
//! - [`normalize`]: the normal form alert rules compare words in (full-width
//!   ASCII forms as half-width, Latin letters in lower case, no spaces).
//! - [`search_tokens`]: the tokens the archive indexes a reply by and turns
//!   a search term into. Chinese is written without spaces, so a text is
//!   segmented into words with jieba's search mode, which gives a long word
//!   and also the shorter dictionary words inside it (`加装电梯` gives
//!   `加装`, `电梯` and `加装电梯`): a word searched for matches as a whole
//!   word or as part of a longer one.
//! - [`span_in_words`]: a span of time as an operator reads it in a log
//!   line or an event's reason.
//! - [`SEGMENTER`]: the segmenter (jieba's algorithm and dictionary, the
//!   dictionary compiled in as read-only data); analytics' title words use
//!   it too.
//!
//! The archive records which version of these rules indexed a reply
//! ([`SEARCH_TOKENS_VERSION`]), so a change of the rules re-indexes what was
//! indexed under the old ones.

use govwire_segment::Segmenter;

/// The version of [`search_tokens`]' rules (the normal form, the
/// segmenter's mode and dictionary, what is kept). Raise it whenever any of
/// them changes: archived replies indexed under a lower version are indexed
/// again when the archive starts.
pub const SEARCH_TOKENS_VERSION: u32 = 1;

/// The longest token kept, in characters. Longer runs of letters and digits
/// are not words a person types (an encoded blob, a long serial), and both
/// databases cap the size of one indexed term.
pub const MAX_TOKEN_CHARS: usize = 64;

/// The segmenter. Its dictionary is part of the executable, so it costs
/// nothing to create and no memory of its own.
pub const SEGMENTER: Segmenter = Segmenter;

/// Text as it is compared: full-width ASCII forms (U+FF01..U+FF5E) as
/// half-width, letters in lower case, every space (ideographic spaces and
/// line breaks included) removed.
pub fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The search tokens of `text`: the text [`normalize`]d, segmented with
/// jieba's search mode (without its HMM guesses, so a word segments the
/// same alone as inside a sentence), keeping the tokens made only of
/// letters and digits (CJK characters are letters) and at most
/// [`MAX_TOKEN_CHARS`] long. Punctuation and symbols are never tokens.
/// Tokens come in text order and may repeat.
pub fn search_tokens(text: &str) -> Vec<String> {
    let normalized = normalize(text);
    SEGMENTER
        .cut_for_search(&normalized, false)
        .into_iter()
        .map(|token| token.word)
        .filter(|word| is_token(word))
        .map(str::to_string)
        .collect()
}

/// Where the first of `words` occurs in `text`, compared in the normal form
/// (so `电梯` is found across a line break, `PM` as `ｐｍ`): the byte range
/// of the original text that reads as the word. The earliest occurrence
/// wins; of words found at the same place, the longest. `None` when no
/// word occurs (empty words never do).
pub fn find_first<S: AsRef<str>>(text: &str, words: &[S]) -> Option<std::ops::Range<usize>> {
    // The normal form of `text`, and for each of its bytes the original
    // character it came from (start and end byte).
    let mut normalized = String::with_capacity(text.len());
    let mut origin: Vec<(usize, usize)> = Vec::with_capacity(text.len());
    for (start, c) in text.char_indices() {
        let end = start + c.len_utf8();
        for n in normalize(c.encode_utf8(&mut [0; 4])).chars() {
            normalized.push(n);
            origin.extend(std::iter::repeat_n((start, end), n.len_utf8()));
        }
    }
    let mut best: Option<(usize, usize)> = None;
    for word in words {
        let word = normalize(word.as_ref());
        if word.is_empty() {
            continue;
        }
        if let Some(at) = normalized.find(&word) {
            let found = (at, at + word.len());
            best = match best {
                Some(b) if b.0 < found.0 || (b.0 == found.0 && b.1 >= found.1) => Some(b),
                _ => Some(found),
            };
        }
    }
    let (from, to) = best?;
    Some(origin[from].0..origin[to - 1].1)
}

/// A span as an operator reads it: `40 seconds`, `42 minutes`,
/// `3 hours 5 minutes`, `2 days 4 hours` (the two largest units, rounded
/// down).
pub fn span_in_words(span: std::time::Duration) -> String {
    let minutes = span.as_secs() / 60;
    let unit = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (minutes / (24 * 60), minutes / 60 % 24, minutes % 60) {
        (0, 0, 0) => unit(span.as_secs(), "second", "seconds"),
        (0, 0, m) => unit(m, "minute", "minutes"),
        (0, h, 0) => unit(h, "hour", "hours"),
        (0, h, m) => format!(
            "{} {}",
            unit(h, "hour", "hours"),
            unit(m, "minute", "minutes")
        ),
        (d, 0, _) => unit(d, "day", "days"),
        (d, h, _) => format!("{} {}", unit(d, "day", "days"), unit(h, "hour", "hours")),
    }
}

/// Whether `word` may be a search token.
fn is_token(word: &str) -> bool {
    !word.is_empty()
        && word.chars().count() <= MAX_TOKEN_CHARS
        && word.chars().all(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_width_and_case_and_drops_spaces() {
        assert_eq!(normalize("ＡＢＣ　电梯\n加装 Ｘ１"), "abc电梯加装x1");
        assert_eq!(normalize("（第３号）"), "(第3号)");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn a_long_word_gives_the_words_inside_it_too() {
        let tokens = search_tokens("关于既有多层住宅加装电梯的建议");
        for word in ["电梯", "加装", "住宅"] {
            assert!(tokens.iter().any(|t| t == word), "{word}: {tokens:?}");
        }
    }

    #[test]
    fn punctuation_and_symbols_are_never_tokens() {
        let tokens = search_tokens("普府〔2022〕55号：“电梯”！<script>'\"");
        assert!(tokens.iter().all(|t| t.chars().all(char::is_alphanumeric)));
        assert!(tokens.contains(&"2022".to_string()), "{tokens:?}");
        assert!(tokens.contains(&"script".to_string()), "{tokens:?}");
        assert!(search_tokens("。，、！？（）〔〕 <>'\"").is_empty());
    }

    #[test]
    fn full_width_and_upper_case_tokens_equal_their_normal_form() {
        assert_eq!(search_tokens("ＰＭ２５"), search_tokens("pm25"));
        assert_eq!(search_tokens("苏州 河"), search_tokens("苏州河"));
    }

    #[test]
    fn a_word_segments_alike_alone_and_in_a_sentence() {
        let sentence = search_tokens("建议在苏州河沿岸增加停车位并加装电梯");
        for word in ["苏州河", "停车位", "加装电梯", "停车"] {
            for token in search_tokens(word) {
                assert!(sentence.contains(&token), "{word} → {token}: {sentence:?}");
            }
        }
    }

    #[test]
    fn overlong_runs_are_not_tokens() {
        let long = "a".repeat(MAX_TOKEN_CHARS + 1);
        assert!(search_tokens(&long).is_empty());
        assert_eq!(search_tokens(&"b".repeat(MAX_TOKEN_CHARS)).len(), 1);
    }

    #[test]
    fn the_first_word_is_found_in_the_original_text() {
        let text = "本区已为　１２个小区加装\n电梯，加装电梯工作持续推进";
        let at = find_first(text, &["电梯", "加装电梯", "小区"]).unwrap();
        assert_eq!(&text[at], "小区");
        let at = find_first(text, &["加装电梯", "电梯"]).unwrap();
        assert_eq!(&text[at], "加装\n电梯", "found across the line break");
        let at = find_first(text, &["12"]).unwrap();
        assert_eq!(&text[at], "１２");
        assert_eq!(find_first(text, &["停车"]), None);
        assert_eq!(find_first(text, &[""]), None);
    }

    #[test]
    fn spans_read_in_words() {
        let words = |secs| span_in_words(std::time::Duration::from_secs(secs));
        assert_eq!(words(0), "0 seconds");
        assert_eq!(words(59), "59 seconds");
        assert_eq!(words(60), "1 minute");
        assert_eq!(words(31 * 60), "31 minutes");
        assert_eq!(words(3600), "1 hour");
        assert_eq!(words(3 * 3600 + 5 * 60), "3 hours 5 minutes");
        assert_eq!(words(2 * 86400 + 4 * 3600 + 7), "2 days 4 hours");
        assert_eq!(words(86400 + 60), "1 day");
    }
}
