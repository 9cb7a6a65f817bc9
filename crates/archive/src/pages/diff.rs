//! The comparison of two versions of a reply: every changed field side by
//! side (from [`Reply::changes_since`]), and the body compared paragraph by
//! paragraph, with what was inserted and deleted marked character by
//! character inside a changed paragraph (Chinese has no spaces, so words
//! cannot be the unit).
//!
//! The comparison itself ([`diff_text`], [`diff_body`]) is plain data, the
//! page ([`render_diff`]) writes it.

use std::fmt::Write;
use std::time::{Duration, Instant};

use govwire_model::html::escape;
use govwire_model::{labels, Body, FieldChange, Reply};
use serde_json::Value;
use similar::{capture_diff_slices_deadline, Algorithm, DiffTag};

use super::layout::{page, reply_href};

/// How long one comparison may search for the shortest edit before it
/// settles for a coarser one: a long paragraph rewritten end to end must not
/// hold a request.
const DIFF_DEADLINE: Duration = Duration::from_millis(200);

/// Unchanged runs this short (in characters) between two changes are shown
/// as part of the change: a change marked around every shared `的` or `，`
/// is harder to read than one deletion and one insertion.
const SHORT_EQUAL: usize = 2;

/// Below this share of unchanged characters, two paragraphs at the same
/// place are shown as one removed and one added rather than as an edit.
const MIN_SHARED: f64 = 0.3;

/// A run of text in a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// In both versions.
    Same(String),
    /// Only in the older version.
    Deleted(String),
    /// Only in the newer version.
    Inserted(String),
}

/// A paragraph (or heading) of the body in a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockDiff {
    /// Unchanged.
    Same(Block),
    /// Changed in place, with the character-level changes.
    Changed {
        /// Heading or paragraph.
        kind: BlockKind,
        /// The text as runs of kept, deleted and inserted characters.
        pieces: Vec<Piece>,
    },
    /// Only in the older version.
    Removed(Block),
    /// Only in the newer version.
    Added(Block),
}

/// A heading or a paragraph of a body, in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Block {
    /// Heading or paragraph.
    pub kind: BlockKind,
    /// Its text.
    pub text: String,
}

/// What a [`Block`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    /// A section's heading (`一、工作推进情况`).
    Heading,
    /// A paragraph.
    Paragraph,
}

/// The body's headings and paragraphs in reading order.
fn blocks(body: &Body) -> Vec<Block> {
    let mut out = Vec::new();
    for section in &body.sections {
        if let Some(heading) = &section.heading {
            out.push(Block {
                kind: BlockKind::Heading,
                text: heading.clone(),
            });
        }
        for paragraph in &section.paragraphs {
            out.push(Block {
                kind: BlockKind::Paragraph,
                text: paragraph.clone(),
            });
        }
    }
    out
}

/// The changes from `old` to `new`, character by character, short
/// unchanged runs between changes folded into them, and each change's
/// deletion before its insertion.
pub fn diff_text(old: &str, new: &str) -> Vec<Piece> {
    let old: Vec<char> = old.chars().collect();
    let new: Vec<char> = new.chars().collect();
    let deadline = Instant::now() + DIFF_DEADLINE;
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &old, &new, Some(deadline));
    // Runs of (same, deleted, inserted) text.
    let mut runs: Vec<(Option<String>, String, String)> = Vec::new();
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        let old_text: String = old[o].iter().collect();
        let new_text: String = new[n].iter().collect();
        match tag {
            DiffTag::Equal => match runs.last_mut() {
                Some((Some(same), _, _)) => same.push_str(&old_text),
                _ => runs.push((Some(old_text), String::new(), String::new())),
            },
            _ => match runs.last_mut() {
                Some((None, deleted, inserted)) => {
                    deleted.push_str(&old_text);
                    inserted.push_str(&new_text);
                }
                _ => runs.push((None, old_text, new_text)),
            },
        }
    }
    // Fold a short unchanged run between two changes into both.
    let mut folded: Vec<(Option<String>, String, String)> = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let short_between = matches!(&runs[i], (Some(same), _, _)
            if same.chars().count() <= SHORT_EQUAL)
            && matches!(runs.get(i + 1), Some((None, _, _)))
            && matches!(folded.last(), Some((None, _, _)));
        if short_between {
            let same = runs[i].0.clone().unwrap_or_default();
            if let Some((None, deleted, inserted)) = folded.last_mut() {
                deleted.push_str(&same);
                inserted.push_str(&same);
                let (_, next_deleted, next_inserted) = &runs[i + 1];
                deleted.push_str(next_deleted);
                inserted.push_str(next_inserted);
            }
            i += 2;
            continue;
        }
        folded.push(runs[i].clone());
        i += 1;
    }
    let mut pieces = Vec::new();
    for (same, deleted, inserted) in folded {
        if let Some(same) = same {
            if !same.is_empty() {
                pieces.push(Piece::Same(same));
            }
            continue;
        }
        if !deleted.is_empty() {
            pieces.push(Piece::Deleted(deleted));
        }
        if !inserted.is_empty() {
            pieces.push(Piece::Inserted(inserted));
        }
    }
    pieces
}

/// The share of `pieces`' characters, over both versions, that is kept.
fn shared(pieces: &[Piece]) -> f64 {
    let (mut same, mut total) = (0usize, 0usize);
    for piece in pieces {
        match piece {
            Piece::Same(t) => {
                same += 2 * t.chars().count();
                total += 2 * t.chars().count();
            }
            Piece::Deleted(t) | Piece::Inserted(t) => total += t.chars().count(),
        }
    }
    if total == 0 {
        1.0
    } else {
        same as f64 / total as f64
    }
}

/// The body of `old` against the body of `new`, block by block: blocks
/// matched whole first; in a stretch where both changed, blocks at the same
/// place and of the same kind compared by character when they share enough,
/// the rest removed or added.
pub fn diff_body(old: &Body, new: &Body) -> Vec<BlockDiff> {
    let old = blocks(old);
    let new = blocks(new);
    let deadline = Instant::now() + DIFF_DEADLINE;
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &old, &new, Some(deadline));
    let mut out = Vec::new();
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => out.extend(old[o].iter().cloned().map(BlockDiff::Same)),
            DiffTag::Delete => out.extend(old[o].iter().cloned().map(BlockDiff::Removed)),
            DiffTag::Insert => out.extend(new[n].iter().cloned().map(BlockDiff::Added)),
            DiffTag::Replace => {
                let (old, new) = (&old[o], &new[n]);
                let paired = old.len().min(new.len());
                for (a, b) in old.iter().zip(new) {
                    let pieces = diff_text(&a.text, &b.text);
                    if a.kind == b.kind && shared(&pieces) >= MIN_SHARED {
                        out.push(BlockDiff::Changed {
                            kind: b.kind,
                            pieces,
                        });
                    } else {
                        out.push(BlockDiff::Removed(a.clone()));
                        out.push(BlockDiff::Added(b.clone()));
                    }
                }
                out.extend(old[paired..].iter().cloned().map(BlockDiff::Removed));
                out.extend(new[paired..].iter().cloned().map(BlockDiff::Added));
            }
        }
    }
    out
}

/// The record's fields as a change names them (dotted paths), in the
/// order the document reads, with their Chinese names.
const FIELDS: &[(&str, &str)] = &[
    ("issuer_banner", "发文机关标志"),
    ("doc_number", "发文字号"),
    ("signer", "签发人"),
    ("title", "标题"),
    ("addressee", "主送机关"),
    ("body", "正文"),
    ("attachment_notes", "附件说明"),
    ("signatory", "发文机关署名"),
    ("signed_on", "成文日期"),
    ("contact", "联系方式"),
    ("contact.name", "联系人"),
    ("contact.phone", "联系电话"),
    ("contact.address", "联系地址"),
    ("contact.postcode", "邮政编码"),
    ("notes", "附注"),
    ("cc", "抄送"),
    ("printed_by", "印发机关"),
    ("printed_on", "印发日期"),
    ("handling_result", "办理结果"),
    ("handling_result.raw", "办理结果"),
    ("handling_result.category", "办理结果类别"),
    ("reply_kind", "答复类型"),
    ("issuer", "发文机关"),
    ("index_number", "索引号"),
    ("publisher", "发布机构"),
    ("topic", "主题分类"),
    ("disclosure", "公开属性"),
    ("proposal", "所答复的建议或提案"),
    ("proposal.kind", "建议或提案"),
    ("proposal.level", "级别"),
    ("proposal.meeting", "会议"),
    ("proposal.term", "届"),
    ("proposal.session", "次会议"),
    ("proposal.number", "建议提案编号"),
    ("proposal.subject", "建议提案题目"),
    ("proposal.proposers", "提出人"),
    ("proposal.co_proposers", "联名人数"),
    ("attachments", "附件"),
];

/// The Chinese name of a changed field; a field not listed shows its path.
fn field_label(field: &str) -> &str {
    FIELDS
        .iter()
        .find(|(path, _)| *path == field)
        .map_or(field, |(_, label)| label)
}

/// Where a changed field comes in the document; fields not listed last.
fn field_rank(field: &str) -> usize {
    FIELDS
        .iter()
        .position(|(path, _)| *path == field)
        .unwrap_or(FIELDS.len())
}

/// A changed value as a reader reads it: nothing as 无, a vocabulary value
/// by its Chinese label, a list one item a line, anything else as compact
/// JSON. Escaped.
fn value_html(field: &str, value: &Value) -> String {
    match value {
        Value::Null => "<span class=\"muted\">（无）</span>".into(),
        Value::String(s) => {
            let label = match field {
                "handling_result.category" => labels::result_label(s),
                "reply_kind" => labels::reply_kind_label(s),
                "proposal.kind" => labels::proposal_kind_label(s),
                "proposal.level" => labels::level_label(s),
                _ => s,
            };
            escape(label)
        }
        Value::Array(items) if items.is_empty() => "<span class=\"muted\">（无）</span>".into(),
        Value::Array(items) => {
            let lines: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::String(s) => format!("<li>{}</li>", escape(s)),
                    other => format!("<li><code>{}</code></li>", escape(&other.to_string())),
                })
                .collect();
            format!("<ul class=\"plain\">{}</ul>", lines.concat())
        }
        other => format!("<code>{}</code>", escape(&other.to_string())),
    }
}

/// Writes the runs of a changed text, deletions in `<del>`, insertions in
/// `<ins>`.
fn pieces_html(out: &mut String, pieces: &[Piece]) {
    for piece in pieces {
        match piece {
            Piece::Same(t) => out.push_str(&escape(t)),
            Piece::Deleted(t) => {
                let _ = write!(out, "<del>{}</del>", escape(t));
            }
            Piece::Inserted(t) => {
                let _ = write!(out, "<ins>{}</ins>", escape(t));
            }
        }
    }
}

/// Unchanged blocks shown on each side of a change.
const CONTEXT: usize = 1;

/// Runs of unchanged blocks at least this long, beyond the context, are
/// folded into a `<details>` a reader opens when needed.
const FOLD_AT: usize = 3;

/// Writes the compared body: each block marked by what happened to it,
/// long unchanged runs away from any change folded.
fn blocks_html(out: &mut String, body: &[BlockDiff]) {
    let changed = |b: &BlockDiff| !matches!(b, BlockDiff::Same(_));
    let near_change: Vec<bool> = (0..body.len())
        .map(|i| {
            let end = (i + CONTEXT + 1).min(body.len());
            body[i.saturating_sub(CONTEXT)..end].iter().any(changed)
        })
        .collect();
    let mut i = 0;
    while i < body.len() {
        if near_change[i] {
            block_html(out, &body[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < body.len() && !near_change[i] {
            i += 1;
        }
        let run = &body[start..i];
        if run.len() < FOLD_AT {
            run.iter().for_each(|b| block_html(out, b));
            continue;
        }
        let _ = write!(
            out,
            "<details class=\"unchanged\"><summary>未改动的 {} 段</summary>",
            run.len()
        );
        run.iter().for_each(|b| block_html(out, b));
        out.push_str("</details>\n");
    }
}

/// Writes one compared block.
fn block_html(out: &mut String, block: &BlockDiff) {
    let (class, kind, tag) = match block {
        BlockDiff::Same(b) => ("same", b.kind, ""),
        BlockDiff::Changed { kind, .. } => ("changed", *kind, "<span class=\"tag\">修改</span>"),
        BlockDiff::Removed(b) => ("removed", b.kind, "<span class=\"tag\">删去</span>"),
        BlockDiff::Added(b) => ("added", b.kind, "<span class=\"tag\">新增</span>"),
    };
    let heading = if kind == BlockKind::Heading {
        " heading"
    } else {
        ""
    };
    let _ = write!(out, "<div class=\"diff-block {class}{heading}\">{tag}");
    match block {
        BlockDiff::Same(b) => out.push_str(&escape(&b.text)),
        BlockDiff::Changed { pieces, .. } => pieces_html(out, pieces),
        BlockDiff::Removed(b) => {
            let _ = write!(out, "<del>{}</del>", escape(&b.text));
        }
        BlockDiff::Added(b) => {
            let _ = write!(out, "<ins>{}</ins>", escape(&b.text));
        }
    }
    out.push_str("</div>\n");
}

/// The page comparing version `old` with version `new` of one reply.
pub fn render_diff(old: &Reply, new: &Reply) -> String {
    let id = new.id.as_str();
    let mut changes: Vec<FieldChange> = new.changes_since(old);
    changes.sort_by_key(|c| field_rank(&c.field));
    let mut main = String::with_capacity(16 * 1024);
    let _ = write!(
        main,
        "<p class=\"small\"><a href=\"/\">答复档案</a> › <a href=\"{}\">{}</a> › 版本对照</p>\n\
         <h1>第 {} 版与第 {} 版对照</h1>\n<p class=\"muted small\">\
         <a href=\"{}\">查看第 {} 版</a> · <a href=\"{}\">查看第 {} 版</a></p>\n",
        escape(&reply_href(id, None)),
        escape(&new.title),
        old.version,
        new.version,
        escape(&reply_href(id, Some(old.version))),
        old.version,
        escape(&reply_href(id, Some(new.version))),
        new.version,
    );

    main.push_str("<section class=\"box\" id=\"fields\"><h2>变化的字段</h2>");
    if changes.is_empty() {
        main.push_str("<p class=\"muted\">两个版本的内容相同。</p>");
    } else {
        main.push_str("<table class=\"stack\"><thead><tr><th>字段</th><th>旧值（第 ");
        let _ = write!(
            main,
            "{} 版）</th><th>新值（第 {} 版）</th></tr></thead><tbody>",
            old.version, new.version
        );
        for change in &changes {
            let field = escape(&change.field);
            let label = escape(field_label(&change.field));
            if change.field == "body" {
                let _ = write!(
                    main,
                    "<tr data-field=\"{field}\"><td data-label=\"字段\">{label}</td>\
                     <td colspan=\"2\"><a href=\"#body-diff\">见下方正文对照</a></td></tr>",
                );
                continue;
            }
            let _ = write!(
                main,
                "<tr data-field=\"{field}\"><td data-label=\"字段\">{label}</td>\
                 <td data-label=\"旧值\"><del>{}</del></td>\
                 <td data-label=\"新值\"><ins>{}</ins></td></tr>",
                value_html(&change.field, &change.before),
                value_html(&change.field, &change.after),
            );
        }
        main.push_str("</tbody></table>");
    }
    main.push_str("</section>\n");

    main.push_str("<section class=\"box\" id=\"body-diff\"><h2>正文对照</h2>");
    let body = diff_body(&old.body, &new.body);
    if body.iter().all(|b| matches!(b, BlockDiff::Same(_))) {
        main.push_str("<p class=\"muted\">正文没有变化。</p>");
    } else {
        main.push_str(
            "<p class=\"muted small\">绿底加下划线的是新增的文字，红底加删除线的是删去的文字。</p>",
        );
        blocks_html(&mut main, &body);
    }
    main.push_str("</section>\n");
    page(
        &format!(
            "{}（第 {} 版与第 {} 版对照）",
            new.title, old.version, new.version
        ),
        &main,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use govwire_model::Section;

    fn same(t: &str) -> Piece {
        Piece::Same(t.into())
    }
    fn del(t: &str) -> Piece {
        Piece::Deleted(t.into())
    }
    fn ins(t: &str) -> Piece {
        Piece::Inserted(t.into())
    }

    /// The older text, read back from pieces.
    fn before(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Same(t) | Piece::Deleted(t) => Some(t.as_str()),
                Piece::Inserted(_) => None,
            })
            .collect()
    }
    /// The newer text, read back from pieces.
    fn after(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Same(t) | Piece::Inserted(t) => Some(t.as_str()),
                Piece::Deleted(_) => None,
            })
            .collect()
    }

    #[test]
    fn an_insertion_in_a_chinese_sentence_is_marked_alone() {
        let pieces = diff_text("已启用并有首批企业入驻。", "已启用并有首批5家企业入驻。");
        assert_eq!(
            pieces,
            [same("已启用并有首批"), ins("5家"), same("企业入驻。")]
        );
    }

    #[test]
    fn a_deletion_in_a_chinese_sentence_is_marked_alone() {
        let pieces = diff_text("市科委等部门与普陀区持续发力", "市科委与普陀区持续发力");
        assert_eq!(
            pieces,
            [same("市科委"), del("等部门"), same("与普陀区持续发力")]
        );
    }

    #[test]
    fn a_change_inside_a_paragraph_is_a_deletion_then_an_insertion() {
        let old = "经研究，办理结果为解决采纳，感谢您的关心。";
        let new = "经研究，办理结果为列入计划解决，感谢您的关心。";
        let pieces = diff_text(old, new);
        assert_eq!(before(&pieces), old);
        assert_eq!(after(&pieces), new);
        assert_eq!(pieces.first(), Some(&same("经研究，办理结果为")));
        assert_eq!(pieces.last(), Some(&same("，感谢您的关心。")));
        let changed: Vec<&Piece> = pieces
            .iter()
            .filter(|p| !matches!(p, Piece::Same(_)))
            .collect();
        assert!(
            changed.contains(&&ins("列入计划"))
                || changed
                    .iter()
                    .any(|p| matches!(p, Piece::Inserted(t) if t.contains("列入计划"))),
            "{pieces:?}"
        );
        assert!(
            changed
                .iter()
                .any(|p| matches!(p, Piece::Deleted(t) if t.contains("采纳"))),
            "{pieces:?}"
        );
    }

    #[test]
    fn short_unchanged_runs_between_changes_are_folded_into_them() {
        // 解决采纳 → 部分采纳 would otherwise keep 采纳 alone; 的 between two
        // rewritten words is folded.
        let pieces = diff_text("甲乙的丙丁", "戊己的庚辛");
        assert_eq!(pieces, [del("甲乙的丙丁"), ins("戊己的庚辛")]);
        // A longer shared run stays shared.
        let pieces = diff_text("甲乙普陀区人民政府丙丁", "戊己普陀区人民政府庚辛");
        assert_eq!(
            pieces,
            [
                del("甲乙"),
                ins("戊己"),
                same("普陀区人民政府"),
                del("丙丁"),
                ins("庚辛")
            ]
        );
        for (old, new) in [("ab", "ba"), ("", "新"), ("旧", ""), ("同", "同")] {
            let pieces = diff_text(old, new);
            assert_eq!((before(&pieces), after(&pieces)), (old.into(), new.into()));
        }
    }

    fn body(sections: &[(Option<&str>, &[&str])]) -> Body {
        Body {
            sections: sections
                .iter()
                .map(|(heading, paragraphs)| Section {
                    heading: heading.map(str::to_string),
                    paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
                })
                .collect(),
        }
    }

    fn paragraph(text: &str) -> Block {
        Block {
            kind: BlockKind::Paragraph,
            text: text.into(),
        }
    }

    #[test]
    fn an_added_paragraph_is_added_and_the_others_stay_the_same() {
        let old = body(&[(None, &["您的建议收悉。", "感谢您的关心。"])]);
        let new = body(&[(
            None,
            &["您的建议收悉。", "我们将继续推进。", "感谢您的关心。"],
        )]);
        assert_eq!(
            diff_body(&old, &new),
            [
                BlockDiff::Same(paragraph("您的建议收悉。")),
                BlockDiff::Added(paragraph("我们将继续推进。")),
                BlockDiff::Same(paragraph("感谢您的关心。")),
            ]
        );
    }

    #[test]
    fn a_removed_section_removes_its_heading_and_paragraphs() {
        let old = body(&[
            (None, &["您的建议收悉。"]),
            (Some("二、下一步工作"), &["继续推进。"]),
        ]);
        let new = body(&[(None, &["您的建议收悉。"])]);
        assert_eq!(
            diff_body(&old, &new),
            [
                BlockDiff::Same(paragraph("您的建议收悉。")),
                BlockDiff::Removed(Block {
                    kind: BlockKind::Heading,
                    text: "二、下一步工作".into()
                }),
                BlockDiff::Removed(paragraph("继续推进。")),
            ]
        );
    }

    #[test]
    fn a_paragraph_edited_in_place_is_compared_by_character() {
        let old = body(&[(None, &["您的建议收悉。", "今年已有首批企业入驻。"])]);
        let new = body(&[(None, &["您的建议收悉。", "今年已有首批5家企业入驻。"])]);
        assert_eq!(
            diff_body(&old, &new)[1],
            BlockDiff::Changed {
                kind: BlockKind::Paragraph,
                pieces: vec![same("今年已有首批"), ins("5家"), same("企业入驻。")],
            }
        );
    }

    #[test]
    fn long_unchanged_stretches_away_from_a_change_are_folded() {
        let same: Vec<String> = (1..=8).map(|i| format!("第{i}段未改。")).collect();
        let mut new_paragraphs = same.clone();
        new_paragraphs.push("新增的一段。".into());
        let old = body(&[(None, &same.iter().map(String::as_str).collect::<Vec<_>>())]);
        let new = body(&[(
            None,
            &new_paragraphs
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )]);
        let mut html = String::new();
        blocks_html(&mut html, &diff_body(&old, &new));
        assert!(html.contains("<summary>未改动的 7 段</summary>"), "{html}");
        let after_fold = &html[html.find("</details>").unwrap()..];
        assert!(after_fold.contains("第8段未改。"), "the context stays open");
        assert!(after_fold.contains("<ins>新增的一段。</ins>"));
    }

    #[test]
    fn a_paragraph_rewritten_entirely_is_removed_and_added() {
        let old = body(&[(None, &["甲乙丙丁戊己庚辛"])]);
        let new = body(&[(None, &["子丑寅卯辰巳午未"])]);
        assert_eq!(
            diff_body(&old, &new),
            [
                BlockDiff::Removed(paragraph("甲乙丙丁戊己庚辛")),
                BlockDiff::Added(paragraph("子丑寅卯辰巳午未")),
            ]
        );
    }
}
