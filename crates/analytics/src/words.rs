//! The words a reply's title is counted by.
//!
//! A title is segmented with jieba (its embedded dictionary, HMM on for
//! words the dictionary lacks). Titles of replies are mostly formula
//! (`对区十七届人大三次会议第0042号代表建议的答复`), so the proposal's own
//! title (`proposal.subject`: `关于加快既有多层住宅加装电梯的建议`), which
//! says what the deputy or member asked about, is segmented with it when
//! the record has one. A word is then dropped when it is:
//!
//! - a single character (particles, prepositions, 区, 市, punctuation);
//! - not made of letters alone (numbers such as `0184`, `2022年`,
//!   punctuation, symbols);
//! - a Chinese numeral, alone or as an ordinal or a count of sessions
//!   (`十五届`, `第三次`, `六次`, `四次会议`);
//! - in [`STOP_WORDS`]: the formula of titles and the verbs every proposal
//!   starts with.

use std::collections::BTreeMap;

use govwire_model::text::SEGMENTER;
use govwire_model::Reply;

/// Words of the formula of reply titles and proposal titles, which say
/// nothing about what a reply is about: function words; the names of the
/// documents (答复, 建议, 提案, 意见, 会办, 报告, 通知); the bodies and their
/// meetings (人大, 政协, 代表, 委员, 会议, 全会, 人民代表大会); handling words
/// and the way titles address them (对市, 对区, 区政协); handling words
/// (办理, 情况, 跟踪, 再次, 结果); the verbs proposals open with (加强, 推进,
/// 加快, 进一步, 提升, 完善, 推动, 优化, 提高, 解决, 建设, 增设); the municipality and
/// district names the titles of the watched portals carry (上海, 上海市,
/// 普陀, 普陀区).
pub const STOP_WORDS: &[&str] = &[
    // Function words.
    "关于",
    "对于",
    "有关",
    "相关",
    "以及",
    "及其",
    "进行",
    "方面",
    "问题",
    "工作",
    "其他",
    // The documents.
    "答复",
    "回复",
    "建议",
    "提案",
    "意见",
    "会办",
    "报告",
    "通知",
    "的函",
    "答复函",
    "书面",
    "一览表",
    "印发",
    // The bodies and their meetings.
    "人大",
    "政协",
    "代表",
    "委员",
    "会议",
    "全会",
    "大会",
    "人民代表大会",
    "人民代表",
    "人民政府",
    "政府",
    "对市",
    "对区",
    "市政协",
    "区政协",
    "市人大",
    "区人大",
    // Handling.
    "办理",
    "情况",
    "跟踪",
    "再次",
    "结果",
    "办法",
    // Opening verbs of proposals.
    "加强",
    "推进",
    "加快",
    "进一步",
    "提升",
    "完善",
    "推动",
    "优化",
    "提高",
    "解决",
    "关于进一步",
    "加大",
    "建设",
    "增设",
    "打造",
    "设立",
    // Place names of the watched portals' titles.
    "上海",
    "上海市",
    "普陀",
    "普陀区",
];

/// Characters of Chinese numerals.
const NUMERALS: &str = "〇零一二三四五六七八九十百千万两";
/// The counters a numeral in a title comes with (`十五届`, `三次`).
const COUNTERS: &str = "届次号年月日期";
/// What may follow a numeral's counter in one word (`四次会议`).
const MEETINGS: [&str; 3] = ["会议", "全会", "大会"];

/// The words `reply` is counted by: those of its title and of its
/// proposal's title, with how often each occurs (see the module's docs for
/// what is dropped).
pub fn reply_words(reply: &Reply) -> BTreeMap<String, u32> {
    let mut words = BTreeMap::new();
    add_words(&reply.title, &mut words);
    if let Some(subject) = &reply.proposal.subject {
        add_words(subject, &mut words);
    }
    words
}

/// The counted words of `text`, added to `words`.
pub fn add_words(text: &str, words: &mut BTreeMap<String, u32>) {
    for token in SEGMENTER.cut(text, true) {
        let word = token.word.trim();
        if is_counted(word) {
            *words.entry(word.to_string()).or_insert(0) += 1;
        }
    }
}

/// Whether `word` says something about what a text is about.
fn is_counted(word: &str) -> bool {
    word.chars().count() >= 2
        && word.chars().all(char::is_alphabetic)
        && !is_numeral(word)
        && !STOP_WORDS.contains(&word)
}

/// A Chinese numeral, alone or with `第` before it or a counter after it
/// (itself perhaps followed by `会议`).
fn is_numeral(word: &str) -> bool {
    let word = word.strip_prefix('第').unwrap_or(word);
    let word = MEETINGS
        .iter()
        .find_map(|m| word.strip_suffix(m))
        .unwrap_or(word);
    let word = word.strip_suffix(|c| COUNTERS.contains(c)).unwrap_or(word);
    !word.is_empty() && word.chars().all(|c| NUMERALS.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut out = BTreeMap::new();
        add_words(text, &mut out);
        out.into_keys().collect()
    }

    #[test]
    fn the_formula_of_a_reply_title_leaves_no_word() {
        for title in [
            "对市十五届人大六次会议第0184号代表建议的答复",
            "关于区政协十四届三次会议第143015号提案的会办意见",
            "对区17届人大5次会议第0128号代表建议的答复",
            "对上海市第十五届人民代表大会第三次会议第0623号代表建议的答复",
        ] {
            assert_eq!(words(title), Vec::<String>::new(), "{title}");
        }
    }

    #[test]
    fn what_a_proposal_asks_about_is_kept() {
        let kept = words("关于加快既有多层住宅加装电梯的建议");
        assert!(kept.contains(&"电梯".to_string()), "{kept:?}");
        assert!(!kept.contains(&"关于".to_string()));
        assert!(!kept.contains(&"加快".to_string()));
        let kept = words("关于加强苏州河普陀段滨水绿地养护管理的建议");
        assert!(kept.iter().any(|w| w.contains("苏州河")), "{kept:?}");
    }

    #[test]
    fn numerals_counters_digits_and_punctuation_are_dropped() {
        for word in [
            "十五届",
            "第三次",
            "六次",
            "四次会议",
            "第十四届",
            "0184",
            "2022年",
            "（",
            "“",
        ] {
            assert!(!is_counted(word), "{word}");
        }
        assert!(is_counted("电梯"));
        assert!(
            is_counted("十字路口"),
            "a word that merely starts with a numeral"
        );
    }
}
