//! Charts as inline SVG, drawn here: column charts (one or more series over
//! categories, with axes, a unit and a legend) and horizontal bar charts
//! (labelled rows with their values). Each chart has `role="img"`, a
//! `<title>` and a `<desc>`, and scales with its container through its
//! `viewBox`. Every text put into a chart goes through [`escape`].

use std::fmt::Write;

use super::escape;

/// Font size of chart text, in the chart's units.
const FONT: f64 = 14.0;

/// The width of a column chart, in its units: narrow enough that its text
/// stays legible when a phone's screen shrinks it.
pub(crate) const COLUMNS_WIDTH: f64 = 520.0;

/// The widest a column chart's category may be, in the chart's units.
const MAX_GROUP: f64 = 96.0;

/// The width `text` takes at `font`: CJK characters are square, Latin
/// letters and digits about half as wide. An estimate, used to leave room
/// for labels and to shorten those that would not fit.
pub(crate) fn text_width(text: &str, font: f64) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 0.6 } else { 1.0 })
        .sum::<f64>()
        * font
}

/// `text` cut to at most `width` at `font`, with `…` when cut.
fn fit(text: &str, width: f64, font: f64) -> String {
    if text_width(text, font) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = text_width("…", font);
    for c in text.chars() {
        let w = text_width(c.encode_utf8(&mut [0; 4]), font);
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// A number with one decimal place, without a trailing `.0`.
fn num(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// The opening of a chart's `<svg>`: its size, role, title and description.
fn open(id: &str, width: f64, height: f64, title: &str, desc: &str) -> String {
    format!(
        "<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\" style=\"max-width:{max}px\" \
         xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>",
        w = num(width),
        h = num(height),
        max = num(width * 1.3),
        title = escape(title),
        desc = escape(desc),
    )
}

/// A step of 1, 2 or 5 times a power of ten that divides `max` into at
/// most about `ticks` intervals.
fn nice_step(max: u64, ticks: u64) -> u64 {
    let raw = (max as f64 / ticks as f64).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    (step as u64).max(1)
}

/// One series of a column chart.
pub(crate) struct Series {
    /// Its name, in the legend.
    pub name: String,
    /// Its colour.
    pub color: &'static str,
    /// One value per category.
    pub values: Vec<u64>,
}

/// What a column chart shows.
pub(crate) struct Columns<'a> {
    /// The element id (unique in the page).
    pub id: &'a str,
    /// The chart's title (its `<title>`).
    pub title: &'a str,
    /// What it shows, in a sentence (its `<desc>`).
    pub desc: &'a str,
    /// The categories along the x axis, in order.
    pub categories: &'a [String],
    /// The series, drawn side by side in each category.
    pub series: &'a [Series],
    /// The unit of the y axis (`件`).
    pub y_unit: &'a str,
    /// The title of the x axis (`发布月份`).
    pub x_title: &'a str,
    /// The label under each category, `None` for a category left
    /// unlabelled; when absent, every category's own name that fits.
    pub labels: Option<&'a [Option<String>]>,
}

/// A column chart: each category a group of columns, one per series, on a
/// y axis of round steps from zero, with the unit above the axis, the x
/// axis's title below it, every label that fits under the columns, values
/// over the columns where there is room, and a legend when there is more
/// than one series.
pub(crate) fn columns(chart: &Columns<'_>) -> String {
    let (width, height) = (COLUMNS_WIDTH, 300.0);
    let (left, right, top, bottom) = (44.0, 12.0, 36.0, 58.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let n = chart.categories.len().max(1) as f64;
    let max = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0);
    let step = nice_step(max, 5);
    let y_max = (max.div_ceil(step) * step).max(step);
    let y = |v: u64| top + plot_h - plot_h * v as f64 / y_max as f64;

    let mut svg = open(chart.id, width, height, chart.title, chart.desc);
    // Grid lines and the y axis's labels.
    let mut tick = 0;
    while tick <= y_max {
        let ty = y(tick);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{x2}\" y1=\"{ty}\" y2=\"{ty}\" stroke=\"{stroke}\" stroke-width=\"1\"/>\
             <text x=\"{tx}\" y=\"{ly}\" text-anchor=\"end\">{tick}</text>",
            x2 = num(left + plot_w),
            ty = num(ty),
            stroke = if tick == 0 { "#6b7280" } else { "#e5e7eb" },
            tx = num(left - 6.0),
            ly = num(ty + FONT * 0.35),
        );
        tick += step;
    }
    let _ = write!(
        svg,
        "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{bottom_y}\" stroke=\"#6b7280\"/>\
         <text x=\"{ux}\" y=\"{uy}\" text-anchor=\"end\" class=\"unit\">（{unit}）</text>",
        bottom_y = num(top + plot_h),
        ux = num(left - 2.0),
        uy = num(top - 12.0),
        unit = escape(chart.y_unit),
    );

    // Columns, and their values where there is room. A few categories do
    // not make columns wider than a hand's breadth: they stand centred.
    let group_w = (plot_w / n).min(MAX_GROUP);
    let left = left + (plot_w - group_w * n) / 2.0;
    let gap = (group_w * 0.2).min(16.0);
    let bar_w = (group_w - gap) / chart.series.len().max(1) as f64;
    let show_values = bar_w >= text_width(&max.to_string(), FONT * 0.85) + 2.0;
    for (i, category) in chart.categories.iter().enumerate() {
        let gx = left + group_w * i as f64 + gap / 2.0;
        for (k, series) in chart.series.iter().enumerate() {
            let value = series.values.get(i).copied().unwrap_or(0);
            let bx = gx + bar_w * k as f64;
            let by = y(value);
            let _ = write!(
                svg,
                "<rect x=\"{bx}\" y=\"{by}\" width=\"{bw}\" height=\"{bh}\" fill=\"{color}\">\
                 <title>{category} {name}：{value} {unit}</title></rect>",
                bx = num(bx),
                by = num(by),
                bw = num((bar_w - 1.0).max(1.0)),
                bh = num(top + plot_h - by),
                color = series.color,
                category = escape(category),
                name = escape(&series.name),
                unit = escape(chart.y_unit),
            );
            if show_values && value > 0 {
                let _ = write!(
                    svg,
                    "<text x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" class=\"value\">{value}</text>",
                    x = num(bx + bar_w / 2.0),
                    y = num(by - 4.0),
                );
            }
        }
    }

    // Category labels: those given, or every name that fits, evenly
    // spaced.
    let widest = chart
        .categories
        .iter()
        .map(|c| text_width(c, FONT))
        .fold(0.0, f64::max);
    let every = ((widest + 8.0) / group_w).ceil().max(1.0) as usize;
    for (i, category) in chart.categories.iter().enumerate() {
        let label = match chart.labels {
            Some(labels) => match labels.get(i).cloned().flatten() {
                Some(label) => label,
                None => continue,
            },
            None if i % every != 0 => continue,
            None => category.clone(),
        };
        let cx = left + group_w * (i as f64 + 0.5);
        let _ = write!(
            svg,
            "<line x1=\"{cx}\" x2=\"{cx}\" y1=\"{y0}\" y2=\"{y1}\" stroke=\"#6b7280\"/>\
             <text x=\"{cx}\" y=\"{ty}\" text-anchor=\"middle\">{label}</text>",
            cx = num(cx),
            y0 = num(top + plot_h),
            y1 = num(top + plot_h + 4.0),
            ty = num(top + plot_h + 18.0),
            label = escape(&label),
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" class=\"axis-title\">{title}</text>",
        x = num(width / 2.0),
        y = num(height - 10.0),
        title = escape(chart.x_title),
    );

    // The legend, top right.
    if chart.series.len() > 1 {
        let mut lx = width - right;
        for series in chart.series.iter().rev() {
            let w = text_width(&series.name, FONT);
            lx -= w;
            let _ = write!(
                svg,
                "<text x=\"{tx}\" y=\"{ty}\">{name}</text>\
                 <rect x=\"{rx}\" y=\"{ry}\" width=\"12\" height=\"12\" fill=\"{color}\"/>",
                tx = num(lx),
                ty = num(top - 12.0),
                name = escape(&series.name),
                rx = num(lx - 16.0),
                ry = num(top - 12.0 - 10.5),
                color = series.color,
            );
            lx -= 16.0 + 14.0;
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One row of a horizontal bar chart.
pub(crate) struct Row {
    /// What the row counts (shortened with `…` when too long; the whole
    /// label is in the bar's tooltip).
    pub label: String,
    /// The count.
    pub value: u64,
    /// What is written after the bar (`12 件 · 35.3%`).
    pub note: String,
    /// The bar's colour.
    pub color: &'static str,
}

/// A horizontal bar chart: one labelled row per entry, bars in proportion
/// to the largest value, each followed by its note.
pub(crate) fn rows(id: &str, title: &str, desc: &str, rows: &[Row]) -> String {
    let width = 460.0;
    let row_h = 28.0;
    let (top, bottom) = (6.0, 6.0);
    let label_w = rows
        .iter()
        .map(|r| text_width(&r.label, FONT))
        .fold(0.0, f64::max)
        .clamp(40.0, 190.0);
    let note_w = rows
        .iter()
        .map(|r| text_width(&r.note, FONT))
        .fold(0.0, f64::max)
        + 8.0;
    let x0 = label_w + 10.0;
    let bar_max = (width - x0 - note_w - 4.0).max(60.0);
    let max = rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let height = top + bottom + row_h * rows.len() as f64;

    let mut svg = open(id, width, height, title, desc);
    for (i, row) in rows.iter().enumerate() {
        let ry = top + row_h * i as f64;
        let bw = bar_max * row.value as f64 / max as f64;
        let _ = write!(
            svg,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{short}</text>\
             <rect x=\"{x0}\" y=\"{by}\" width=\"{bw}\" height=\"{bh}\" rx=\"2\" fill=\"{color}\">\
             <title>{label}：{note}</title></rect>\
             <text x=\"{nx}\" y=\"{ty}\" class=\"value\">{note}</text>",
            lx = num(label_w),
            ty = num(ry + row_h / 2.0 + FONT * 0.35),
            short = escape(&fit(&row.label, label_w, FONT)),
            x0 = num(x0),
            by = num(ry + 5.0),
            bw = num(bw.max(1.0)),
            bh = num(row_h - 10.0),
            color = row.color,
            label = escape(&row.label),
            note = escape(&row.note),
            nx = num(x0 + bw.max(1.0) + 6.0),
        );
    }
    let _ = write!(
        svg,
        "<line x1=\"{x0}\" x2=\"{x0}\" y1=\"{top}\" y2=\"{y1}\" stroke=\"#6b7280\"/></svg>",
        x0 = num(x0),
        y1 = num(height - bottom),
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_cover_the_largest_value() {
        assert_eq!(nice_step(0, 5), 1);
        assert_eq!(nice_step(4, 5), 1);
        assert_eq!(nice_step(9, 5), 2);
        assert_eq!(nice_step(23, 5), 5);
        assert_eq!(nice_step(480, 5), 100);
    }

    #[test]
    fn long_labels_are_shortened_to_fit() {
        let long = "上海市普陀区人民政府办公室关于某某事项的函";
        let short = fit(long, 100.0, FONT);
        assert!(short.ends_with('…'));
        assert!(text_width(&short, FONT) <= 100.0);
        assert_eq!(fit("区教育局", 100.0, FONT), "区教育局");
    }

    #[test]
    fn a_chart_names_itself_for_assistive_technology() {
        let svg = rows(
            "c",
            "标题 <b>",
            "说明",
            &[Row {
                label: "A&B".into(),
                value: 2,
                note: "2 件".into(),
                color: "#000",
            }],
        );
        assert!(svg.starts_with("<svg class=\"chart\" id=\"c\" viewBox=\"0 0 460 "));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"c-title\">标题 &lt;b&gt;</title>"));
        assert!(svg.contains("A&amp;B"));
    }
}
