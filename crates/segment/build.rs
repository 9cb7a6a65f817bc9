//! Compiles `data/dict.txt` (one `word frequency tag` line per word) into
//! the trie the segmenter walks, as read-only data for the executable.
//!
//! - `trie.bin`: the nodes breadth first, 8 bytes each (little endian):
//!   the node's character in bits 0..21, the index of its first child in
//!   bits 21..42, the frequency of the word that ends at it in bits 42..64
//!   (0: no word ends there). A node's children are contiguous and sorted
//!   by character, and end where the next node's begin; a last node with no
//!   character closes the list. Node 0 is the root.
//! - `root.bin`: for every character below U+10000, the index of the
//!   root's child for it (4 bytes, little endian), 0 for none.
//! - `dict.rs`: the sum of all frequencies.

use std::{env, fs, path::PathBuf};

const CHAR_BITS: u32 = 21;
const INDEX_BITS: u32 = 21;
const FREQ_BITS: u32 = 64 - CHAR_BITS - INDEX_BITS;

fn main() {
    println!("cargo:rerun-if-changed=data/dict.txt");
    let text = fs::read_to_string("data/dict.txt").expect("data/dict.txt is readable UTF-8");

    let mut words: Vec<(Vec<char>, u64)> = Vec::new();
    let mut total: u64 = 0;
    for (line_no, line) in text.lines().enumerate() {
        let mut fields = line.split_ascii_whitespace();
        let Some(word) = fields.next() else { continue };
        let freq: u64 = match fields.next() {
            Some(f) => f
                .parse()
                .unwrap_or_else(|e| panic!("dict.txt line {}: frequency {f:?}: {e}", line_no + 1)),
            None => 0,
        };
        assert!(
            (1..1 << FREQ_BITS).contains(&freq),
            "dict.txt line {}: frequency {freq} is outside 1..2^{FREQ_BITS}",
            line_no + 1
        );
        total += freq;
        words.push((word.chars().collect(), freq));
    }
    words.sort_unstable();
    for pair in words.windows(2) {
        assert!(
            pair[0].0 != pair[1].0,
            "dict.txt lists {:?} twice",
            String::from_iter(&pair[0].0)
        );
    }

    // Breadth first: each node is the range of sorted words sharing its
    // prefix of `depth` characters.
    struct Node {
        ch: u32,
        freq: u64,
        lo: usize,
        hi: usize,
        depth: usize,
    }
    let mut nodes = vec![Node {
        ch: 0,
        freq: 0,
        lo: 0,
        hi: words.len(),
        depth: 0,
    }];
    let mut first_child = Vec::new();
    let mut k = 0;
    while k < nodes.len() {
        first_child.push(nodes.len());
        let (lo, hi, depth) = (nodes[k].lo, nodes[k].hi, nodes[k].depth);
        let mut i = lo;
        // The word that is this node's own prefix sorts first.
        while i < hi && words[i].0.len() == depth {
            i += 1;
        }
        while i < hi {
            let ch = words[i].0[depth];
            let mut j = i;
            while j < hi && words[j].0[depth] == ch {
                j += 1;
            }
            let freq = if words[i].0.len() == depth + 1 {
                words[i].1
            } else {
                0
            };
            nodes.push(Node {
                ch: ch as u32,
                freq,
                lo: i,
                hi: j,
                depth: depth + 1,
            });
            i = j;
        }
        k += 1;
    }
    assert!(
        nodes.len() < 1 << INDEX_BITS,
        "{} trie nodes do not fit {INDEX_BITS} bits",
        nodes.len()
    );

    let mut trie = Vec::with_capacity((nodes.len() + 1) * 8);
    for (node, &first) in nodes.iter().zip(&first_child) {
        let packed =
            node.ch as u64 | (first as u64) << CHAR_BITS | node.freq << (CHAR_BITS + INDEX_BITS);
        trie.extend_from_slice(&packed.to_le_bytes());
    }
    let closing = (nodes.len() as u64) << CHAR_BITS;
    trie.extend_from_slice(&closing.to_le_bytes());

    let mut root = vec![0u8; 0x1_0000 * 4];
    for (index, node) in nodes.iter().enumerate().take(first_child[1]).skip(1) {
        if node.ch < 0x1_0000 {
            let at = node.ch as usize * 4;
            root[at..at + 4].copy_from_slice(&(index as u32).to_le_bytes());
        }
    }

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("trie.bin"), trie).expect("trie.bin is written");
    fs::write(out.join("root.bin"), root).expect("root.bin is written");
    fs::write(
        out.join("dict.rs"),
        format!("/// The sum of the dictionary's frequencies.\npub(crate) const TOTAL_FREQ: u64 = {total};\n"),
    )
    .expect("dict.rs is written");
}
