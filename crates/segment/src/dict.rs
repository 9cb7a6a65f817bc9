//! The dictionary: a trie the build compiles from `data/dict.txt` (see
//! `build.rs` for its layout), read in place from the executable's data.

use std::sync::LazyLock;

include!(concat!(env!("OUT_DIR"), "/dict.rs"));

/// The nodes, 8 bytes each, breadth first; node 0 is the root.
static TRIE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/trie.bin"));
/// The root's child for each character below U+10000 (0: none).
static ROOT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/root.bin"));

const CHAR_MASK: u64 = (1 << 21) - 1;
const INDEX_SHIFT: u32 = 21;
const INDEX_MASK: u64 = (1 << 21) - 1;
const FREQ_SHIFT: u32 = 42;

/// Children lists at most this long are scanned; longer ones are halved.
const LINEAR_CHILDREN: usize = 8;

#[inline(always)]
fn node(index: usize) -> u64 {
    let at = index * 8;
    u64::from_le_bytes(TRIE[at..at + 8].try_into().expect("8 bytes"))
}

#[inline(always)]
fn first_child(node: u64) -> usize {
    ((node >> INDEX_SHIFT) & INDEX_MASK) as usize
}

#[inline(always)]
fn node_char(node: u64) -> u32 {
    (node & CHAR_MASK) as u32
}

#[inline(always)]
fn freq(node: u64) -> u64 {
    node >> FREQ_SHIFT
}

/// The child of node `parent` for `ch`.
#[inline(always)]
fn child(parent: usize, ch: char) -> Option<usize> {
    let ch = ch as u32;
    let (mut lo, mut hi) = (first_child(node(parent)), first_child(node(parent + 1)));
    while hi - lo > LINEAR_CHILDREN {
        let mid = lo + (hi - lo) / 2;
        if node_char(node(mid)) <= ch {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo..hi).find(|&i| node_char(node(i)) == ch)
}

/// The root's child for `ch`: one table load for the characters of the
/// Basic Multilingual Plane.
#[inline(always)]
fn root_child(ch: char) -> Option<usize> {
    let c = ch as usize;
    if c < 0x1_0000 {
        let at = c * 4;
        let index = u32::from_le_bytes(ROOT[at..at + 4].try_into().expect("4 bytes")) as usize;
        (index != 0).then_some(index)
    } else {
        child(0, ch)
    }
}

/// Call `emit(char_index, end_index, word_id)` for every dictionary word
/// starting at every character of `chars`, position by position and the
/// shortest word first within a position. `end_index` is the index of the
/// character after the word; `word_id` identifies the word for
/// [`log_freq`].
pub(crate) fn for_each_prefix_at_every_char(
    chars: &[(u32, char)],
    mut emit: impl FnMut(usize, usize, i32),
) {
    let n = chars.len();
    for pos in 0..n {
        let Some(mut at) = root_child(chars[pos].1) else {
            continue;
        };
        let mut next = pos + 1;
        loop {
            if freq(node(at)) != 0 {
                emit(pos, next, at as i32);
            }
            if next >= n {
                break;
            }
            match child(at, chars[next].1) {
                Some(c) => at = c,
                None => break,
            }
            next += 1;
        }
    }
}

/// `ln` of the frequency of the word `word_id` names.
#[inline(always)]
pub(crate) fn log_freq(word_id: i32) -> f64 {
    (freq(node(word_id as usize)) as f64).ln()
}

/// `ln` of the sum of all frequencies.
#[inline]
pub(crate) fn log_total() -> f64 {
    static LOG_TOTAL: LazyLock<f64> = LazyLock::new(|| (TOTAL_FREQ as f64).ln());
    *LOG_TOTAL
}

/// Whether `word` is a dictionary word.
#[cfg(test)]
pub(crate) fn contains(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(mut at) = chars.next().and_then(root_child) else {
        return false;
    };
    for ch in chars {
        match child(at, ch) {
            Some(c) => at = c,
            None => return false,
        }
    }
    freq(node(at)) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_found_and_prefixes_are_not_words() {
        for word in ["我们", "加装", "电梯", "人民政府", "中华人民共和国", "B超"]
        {
            assert!(contains(word), "{word} is a dictionary word");
        }
        for word in [
            "",
            "我们们",
            "加装电梯",
            "人民政",
            "普府",
            "\u{2A700}\u{2A700}",
        ] {
            assert!(!contains(word), "{word:?} is not a dictionary word");
        }
    }

    #[test]
    fn a_word_longer_than_eight_siblings_apart_is_found() {
        // 中 starts thousands of words: its children are found by halving.
        let children = first_child(node(root_child('中').unwrap() + 1))
            - first_child(node(root_child('中').unwrap()));
        assert!(children > LINEAR_CHILDREN * 8, "中 has {children} children");
        for word in ["中国", "中央", "中间", "中小企业", "中华"] {
            assert!(contains(word), "{word}");
        }
    }

    #[test]
    fn every_word_walked_to_carries_its_frequency() {
        let mut found = Vec::new();
        let chars: Vec<(u32, char)> = "人民政府"
            .char_indices()
            .map(|(i, c)| (i as u32, c))
            .collect();
        for_each_prefix_at_every_char(&chars, |start, end, id| {
            found.push((start, end, log_freq(id)))
        });
        let words: Vec<(usize, usize)> = found.iter().map(|&(s, e, _)| (s, e)).collect();
        assert!(
            words.contains(&(0, 2)) && words.contains(&(2, 4)) && words.contains(&(0, 4)),
            "{words:?}"
        );
        assert!(
            found.iter().all(|&(_, _, f)| f.is_finite() && f > 0.0),
            "{found:?}"
        );
        // Shortest first within a position.
        assert!(
            words.windows(2).all(|w| w[0].0 < w[1].0 || w[0].1 < w[1].1),
            "{words:?}"
        );
        assert!(
            log_total() > 17.0,
            "the frequencies sum to tens of millions"
        );
    }
}
