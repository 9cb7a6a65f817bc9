//! The page furniture dropped from the text: the profile's boilerplate lines
//! and the lines every portal page carries (print and close buttons, font
//! switches, editor and view-count lines, links to the previous and next
//! article).

use govwire_model::profile::DetailProfile;

use crate::normalize::is_space;

/// Lines that are page furniture wherever they appear (print and close
/// buttons, font-size switches), on top of the profile's boilerplate.
const CHROME_LINES: &[&str] = &[
    "打印",
    "打印本页",
    "【打印】",
    "[打印]",
    "关闭",
    "关闭窗口",
    "【关闭】",
    "[关闭]",
    "返回顶部",
    "【返回顶部】",
    "扫一扫在手机打开当前页",
    "分享到：",
    "分享到:",
    "字号：大中小",
    "字号:大中小",
    "【字号：大中小】",
    "【字体：大中小】",
    "字体：大中小",
    "打印本页关闭窗口",
    "打印关闭",
    "打印此页",
    "关闭本页",
    "返回顶部关闭窗口",
];

/// Beginnings of page-furniture lines whatever follows their colon: the
/// editor, view counters, links to the previous and next article.
const CHROME_PREFIXES: &[&str] = &[
    "责任编辑",
    "编辑",
    "浏览次数",
    "浏览量",
    "访问次数",
    "访问量",
    "阅读次数",
    "阅读量",
    "点击次数",
    "点击数",
    "点击量",
    "上一篇",
    "下一篇",
];

/// Words of the page's buttons written in brackets (`【打印本页】
/// 【关闭窗口】`, `[收藏]`).
const CHROME_BUTTONS: &[&str] = &[
    "打印",
    "打印本页",
    "打印此页",
    "打印正文",
    "关闭",
    "关闭窗口",
    "关闭本页",
    "返回",
    "返回顶部",
    "返回首页",
    "收藏",
    "加入收藏",
    "保存",
    "纠错",
    "分享",
    "大",
    "中",
    "小",
];

/// Whether a line is page furniture by its form rather than its exact
/// text: `责任编辑：李明`, `浏览次数：123`, `上一篇：…`, a row of bracketed
/// buttons (`【打印本页】 【关闭窗口】`, `【字体：大 中 小】`).
pub(super) fn is_chrome_line(line: &str) -> bool {
    let Some(first) = line.chars().next() else {
        return false;
    };
    if matches!(first, '【' | '[' | '［') {
        return is_button_row(line);
    }
    if !may_start_chrome(first) {
        return false;
    }
    CHROME_PREFIXES.iter().any(|prefix| {
        line.strip_prefix(prefix).is_some_and(|rest| {
            let rest = rest.trim_start_matches(is_space);
            rest.is_empty() || rest.starts_with(['：', ':'])
        })
    })
}

/// Whether a line starting with `first` can be furniture by its form
/// ([`is_chrome_line`]).
pub(super) fn may_start_chrome(first: char) -> bool {
    matches!(
        first,
        '【' | '[' | '［' | '责' | '编' | '浏' | '访' | '阅' | '点' | '上' | '下'
    )
}

/// Whether a line is only bracketed button words (`【打印】【关闭】`,
/// `[ 打印本页 ] [ 关闭窗口 ]`, `【字体：大 中 小】`).
fn is_button_row(line: &str) -> bool {
    let mut rest = line.trim_matches(is_space);
    let mut any = false;
    while !rest.is_empty() {
        let Some(open) = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '【' | '[' | '［'))
        else {
            return false;
        };
        let inner_start = open.len_utf8();
        let Some(close) = rest[inner_start..].find(['】', ']', '］']) else {
            return false;
        };
        let inner = &rest[inner_start..inner_start + close];
        let words: String = inner.chars().filter(|c| !is_space(*c)).collect();
        let font_switch =
            ["字体", "字号"].iter().any(|w| words.starts_with(w)) && words.chars().count() <= 8;
        if !font_switch && !CHROME_BUTTONS.contains(&words.as_str()) {
            return false;
        }
        any = true;
        let after = inner_start + close;
        let close_len = rest[after..].chars().next().map_or(1, char::len_utf8);
        rest = rest[after + close_len..].trim_start_matches(is_space);
    }
    any
}

/// Lines that are never page text: the profile's boilerplate, trimmed, and
/// [`CHROME_LINES`].
#[derive(Debug, Default)]
pub(super) struct Boilerplate {
    /// A few dozen lines: compared by length first, then bytes.
    lines: Vec<String>,
    /// The longest of them, in bytes: a longer line is none of them.
    longest: usize,
}

impl Boilerplate {
    /// Whether `line`, its spaces left out, is one of the lines (compared
    /// without building the compact form).
    pub(super) fn contains_without_spaces(&self, line: &str) -> bool {
        self.lines
            .iter()
            .filter(|b| b.len() <= line.len())
            .any(|b| {
                let mut compact = line.chars().filter(|c| !is_space(*c));
                b.chars().all(|c| compact.next() == Some(c)) && compact.next().is_none()
            })
    }

    /// Whether `line` is one of the lines.
    pub(super) fn contains(&self, line: &str) -> bool {
        line.len() <= self.longest
            && self
                .lines
                .iter()
                .any(|b| b.len() == line.len() && b == line)
    }
}

/// The profile's boilerplate lines, trimmed, and [`CHROME_LINES`].
pub(super) fn boilerplate_of(profile: &DetailProfile) -> Boilerplate {
    let mut lines: Vec<String> = profile
        .boilerplate
        .iter()
        .map(|b| b.trim_matches(is_space).to_string())
        .chain(CHROME_LINES.iter().map(|s| s.to_string()))
        .collect();
    lines.sort();
    lines.dedup();
    let longest = lines.iter().map(String::len).max().unwrap_or(0);
    Boilerplate { lines, longest }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_furniture_is_recognised_by_its_form() {
        for line in [
            "责任编辑：李明",
            "责任编辑 : 李明",
            "浏览次数：123",
            "上一篇：关于区政协十五届五次会议第150184号提案的答复",
            "下一篇：无",
            "【打印本页】 【关闭窗口】",
            "[ 打印 ] [ 关闭 ]",
            "【字体：大 中 小】",
        ] {
            assert!(is_chrome_line(line), "`{line}`");
        }
        for line in [
            "上一篇文章中提到的问题已解决。",
            "下一步，我们将继续推进。",
            "【关于加强管理的通知】",
            "责任编辑部门负责审核。",
            "",
        ] {
            assert!(!is_chrome_line(line), "`{line}`");
        }
    }
}
