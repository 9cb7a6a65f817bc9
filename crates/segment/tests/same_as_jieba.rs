//! The segmenter gives exactly jieba-rs's tokens (word, character and byte
//! positions), in both modes, with and without the HMM: on every text of
//! the corpus, on every dictionary word, and on generated text mixing
//! Chinese, Latin letters, digits, connectors, punctuation, spaces, line
//! breaks and characters beyond the Basic Multilingual Plane.

use std::path::Path;

use govwire_segment::Segmenter;
use jieba_rs::Jieba;

/// Tokens as comparable tuples: word, character range, byte range.
type Tokens<'a> = Vec<(&'a str, usize, usize, usize, usize)>;

fn ours(text: &str, search: bool, hmm: bool) -> Tokens<'_> {
    let tokens = if search {
        Segmenter.cut_for_search(text, hmm)
    } else {
        Segmenter.cut(text, hmm)
    };
    tokens
        .into_iter()
        .map(|t| (t.word, t.start, t.end, t.byte_start, t.byte_end))
        .collect()
}

fn theirs<'a>(jieba: &Jieba, text: &'a str, search: bool, hmm: bool) -> Tokens<'a> {
    let tokens = if search {
        jieba.cut_for_search(text, hmm)
    } else {
        jieba.cut(text, hmm)
    };
    tokens
        .into_iter()
        .map(|t| (t.word, t.start, t.end, t.byte_start, t.byte_end))
        .collect()
}

/// Compare every mode on `text`; `what` names the text in a failure.
fn assert_same(jieba: &Jieba, text: &str, what: &str) {
    for search in [false, true] {
        for hmm in [false, true] {
            let (a, b) = (ours(text, search, hmm), theirs(jieba, text, search, hmm));
            if a != b {
                let at = a
                    .iter()
                    .zip(&b)
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.len().min(b.len()));
                panic!(
                    "{what} (search {search}, hmm {hmm}): token {at} differs: ours {:?}, jieba's {:?}",
                    a.get(at..(at + 3).min(a.len())),
                    b.get(at..(at + 3).min(b.len())),
                );
            }
        }
    }
}

fn corpus_texts() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus");
    let mut texts = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the corpus directory is readable") {
            let path = entry.expect("a corpus entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                texts.push((path.display().to_string(), text));
            }
        }
    }
    texts.sort();
    texts
}

#[test]
fn corpus_texts_segment_as_jieba_does() {
    let jieba = Jieba::new();
    let texts = corpus_texts();
    assert!(
        texts.len() >= 70,
        "the corpus holds at least 70 texts, found {}",
        texts.len()
    );
    for (path, text) in &texts {
        assert_same(&jieba, text, path);
    }
}

#[test]
fn every_dictionary_word_segments_as_jieba_does() {
    let jieba = Jieba::new();
    let dict = include_str!("../data/dict.txt");
    let words: Vec<&str> = dict
        .lines()
        .filter_map(|line| line.split_ascii_whitespace().next())
        .collect();
    assert_eq!(words.len(), 349_045);
    // Words one after another, a few hundred at a time: each word is looked
    // up whole and as the prefix of its neighbours.
    for (i, chunk) in words.chunks(400).enumerate() {
        let text: String = chunk.concat();
        for hmm in [false, true] {
            assert_eq!(
                ours(&text, true, hmm),
                theirs(&jieba, &text, true, hmm),
                "dictionary words {} to {} (hmm {hmm})",
                i * 400,
                i * 400 + chunk.len()
            );
        }
    }
    // And each word alone, separated by a character no word holds.
    let text = words.join("\u{3000}");
    assert_eq!(
        ours(&text, false, false),
        theirs(&jieba, &text, false, false),
        "every word alone"
    );
}

#[test]
fn generated_mixed_text_segments_as_jieba_does() {
    let jieba = Jieba::new();
    let corpus: String = corpus_texts().into_iter().map(|(_, text)| text).collect();
    let han: Vec<char> = corpus
        .chars()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
        .collect();
    let other: Vec<char> = "abcXYZ019.-_%+#& \t\r\n，。、（）《》〔〕：；“”！？ＡＢ１２　\u{20000}\u{2A700}\u{3400}\u{F900}😀é"
        .chars()
        .collect();
    // xorshift64*, seeded: the same texts on every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    for case in 0..300 {
        let len = 1 + (next() % 400) as usize;
        let mut text = String::new();
        while text.chars().count() < len {
            let r = next();
            if r % 10 < 7 {
                // A run of consecutive corpus characters, so real words occur.
                let at = (r >> 8) as usize % han.len();
                let run = 1 + (r >> 40) as usize % 6;
                text.extend(han.iter().cycle().skip(at).take(run));
            } else {
                text.push(other[(r >> 8) as usize % other.len()]);
            }
        }
        assert_same(&jieba, &text, &format!("generated text {case}: {text:?}"));
    }
}
