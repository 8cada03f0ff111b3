//! Server-rendered SVG charts: a small typed builder (every text escaped,
//! every number formatted here) and the chart shapes the pages use. A chart
//! scales to its container (`viewBox`, `width="100%"`), so it stays
//! readable at phone width; nothing is loaded from elsewhere.
use std::fmt::Write as _;

/// Text for SVG content or an attribute value.
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as Indonesians write it: `1.234`, `12,5`.
#[must_use]
pub fn number(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    let sign = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// Text anchoring.
#[derive(Debug, Clone, Copy)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Middle => "middle",
            Self::End => "end",
        }
    }
}

/// An SVG document under construction.
pub struct Svg {
    width: f64,
    height: f64,
    body: String,
}

impl Svg {
    #[must_use]
    pub fn new(width: f64, height: f64) -> Self {
        Self { width, height, body: String::new() }
    }

    /// A filled rectangle with a tooltip.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Color, title: &str) -> &mut Self {
        let _ =
            write!(self.body, r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{}"><title>{}</title></rect>"#, fill.hex(), escape(title));
        self
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: Color, dashed: bool) -> &mut Self {
        let dash = if dashed { r#" stroke-dasharray="4 3""# } else { "" };
        let _ = write!(self.body, r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" stroke-width="1"{dash}/>"#, stroke.hex());
        self
    }

    pub fn text(&mut self, x: f64, y: f64, size: f64, anchor: Anchor, s: &str) -> &mut Self {
        let _ = write!(self.body, r#"<text x="{x:.1}" y="{y:.1}" font-size="{size:.0}" text-anchor="{}">{}</text>"#, anchor.as_str(), escape(s));
        self
    }

    /// The document, titled (`<title>` and `aria-label`) for screen readers.
    #[must_use]
    pub fn finish(&self, title: &str, id: &str) -> String {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" viewBox="0 0 {w:.0} {h:.0}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="{t}" font-family="sans-serif" fill="#333333"><title>{t}</title>{body}</svg>"##,
            id = escape(id),
            w = self.width,
            h = self.height,
            t = escape(title),
            body = self.body
        )
    }
}

/// The palette: one colour per meaning, the same on every chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Pending,
    Clear,
    Failed,
    Measure,
    Ideal,
    Grid,
}

impl Color {
    const fn hex(self) -> &'static str {
        match self {
            Self::Pending => "#9e9e9e",
            Self::Clear => "#2e7d32",
            Self::Failed => "#c62828",
            Self::Measure => "#3c8dbc",
            Self::Ideal => "#555555",
            Self::Grid => "#dddddd",
        }
    }
}

/// One stacked series: its name, colour and a value per category.
pub struct Series<'a> {
    pub name: &'a str,
    pub color: Color,
    pub values: Vec<f64>,
}

/// A round upper bound for an axis.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|m| *m >= max).unwrap_or(max)
}

/// Vertical columns, one per category, its series stacked, with a legend.
#[must_use]
pub fn stacked_columns(id: &str, title: &str, categories: &[String], series: &[Series]) -> String {
    let (w, h, left, top, bottom) = (640.0, 300.0, 56.0, 36.0, 52.0);
    let plot_h = h - top - bottom;
    let totals: Vec<f64> = (0..categories.len()).map(|i| series.iter().map(|s| s.values.get(i).copied().unwrap_or(0.0)).sum()).collect();
    let max = nice_max(totals.iter().copied().fold(0.0, f64::max));
    let mut svg = Svg::new(w, h);
    for step in 0..=4 {
        let v = max * f64::from(step) / 4.0;
        let y = top + plot_h - plot_h * f64::from(step) / 4.0;
        svg.line(left, y, w - 10.0, y, Color::Grid, false).text(left - 6.0, y + 4.0, 11.0, Anchor::End, &number(v, 0));
    }
    let n = categories.len().max(1) as f64;
    let slot = (w - left - 10.0) / n;
    let bar = (slot * 0.6).min(48.0);
    for (i, cat) in categories.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = top + plot_h;
        for s in series {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            if v > 0.0 {
                let bh = plot_h * v / max;
                y -= bh;
                svg.rect(x, y, bar, bh, s.color, &format!("{cat} · {}: {}", s.name, number(v, 0)));
            }
        }
        if categories.len() <= 12 || i % (categories.len() / 12 + 1) == 0 {
            svg.text(x + bar / 2.0, top + plot_h + 16.0, 11.0, Anchor::Middle, cat);
        }
    }
    let mut lx = left;
    for s in series {
        svg.rect(lx, h - 18.0, 12.0, 12.0, s.color, s.name).text(lx + 16.0, h - 8.0, 12.0, Anchor::Start, s.name);
        lx += 24.0 + s.name.chars().count() as f64 * 7.0;
    }
    svg.text(left, 20.0, 14.0, Anchor::Start, title);
    svg.finish(title, id)
}

/// One horizontal bar: label, value, an optional reference mark (the
/// ideal) and the text printed after the bar.
pub struct Bar<'a> {
    pub label: &'a str,
    pub value: f64,
    pub reference: Option<f64>,
    pub caption: String,
    pub color: Color,
}

/// Horizontal bars with an optional dashed reference mark on each.
#[must_use]
pub fn bars(id: &str, title: &str, rows: &[Bar], reference_name: &str) -> String {
    let (w, left, row_h, top) = (640.0, 170.0, 30.0, 36.0);
    let h = top + row_h * rows.len().max(1) as f64 + 30.0;
    let max = nice_max(rows.iter().map(|r| r.value.max(r.reference.unwrap_or(0.0))).fold(0.0, f64::max));
    let plot_w = w - left - 110.0;
    let mut svg = Svg::new(w, h);
    svg.text(10.0, 20.0, 14.0, Anchor::Start, title);
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        svg.text(left - 8.0, y + 18.0, 12.0, Anchor::End, r.label);
        let bw = plot_w * r.value.max(0.0) / max;
        svg.rect(left, y + 6.0, bw.max(1.0), 16.0, r.color, &format!("{}: {}", r.label, r.caption));
        svg.text(left + bw + 6.0, y + 18.0, 12.0, Anchor::Start, &r.caption);
        if let Some(reference) = r.reference {
            let x = left + plot_w * reference / max;
            svg.line(x, y + 2.0, x, y + 26.0, Color::Ideal, true);
        }
    }
    if rows.iter().any(|r| r.reference.is_some()) {
        let y = h - 12.0;
        svg.line(left, y - 4.0, left + 18.0, y - 4.0, Color::Ideal, true).text(left + 24.0, y, 12.0, Anchor::Start, reference_name);
    }
    if rows.is_empty() {
        svg.text(w / 2.0, top + 18.0, 12.0, Anchor::Middle, "Belum ada data pada periode ini.");
    }
    svg.finish(title, id)
}

/// The charts of a recap, as the page, the dashboard and nothing else draw them.
pub mod recap {
    use super::{bars, number, stacked_columns, Bar, Color, Series};
    use crate::models::reports::Recap;

    /// Cards per month of the period, stacked by card status.
    #[must_use]
    pub fn card_months(r: &Recap) -> String {
        let cats: Vec<String> = r.months.iter().map(|m| m.label.clone()).collect();
        let series = [
            Series { name: "Menunggu", color: Color::Pending, values: r.months.iter().map(|m| m.pending as f64).collect() },
            Series { name: "Clear", color: Color::Clear, values: r.months.iter().map(|m| m.clear as f64).collect() },
            Series { name: "Failed", color: Color::Failed, values: r.months.iter().map(|m| m.failed as f64).collect() },
        ];
        stacked_columns("chart-months", "Kartu per bulan menurut status", &cats, &series)
    }

    /// Mean working days per stage against the FAQ's ideal.
    #[must_use]
    pub fn lead_times(r: &Recap) -> String {
        let rows: Vec<Bar> = r
            .stages
            .iter()
            .map(|s| Bar {
                label: s.label,
                value: s.mean.unwrap_or(0.0),
                reference: Some(f64::from(s.ideal)),
                caption: s.mean.map_or_else(|| "belum ada".to_string(), |m| format!("{} hari", number(m, 1))),
                color: Color::Measure,
            })
            .collect();
        bars("chart-stages", "Rata-rata waktu proses per tahap (hari kerja)", &rows, "Ideal menurut FAQ")
    }

    /// Failed cards per station, in percent of the attempted ones.
    #[must_use]
    pub fn station_yield(r: &Recap) -> String {
        let rows: Vec<Bar> = r
            .stations
            .iter()
            .map(|s| Bar {
                label: &s.name,
                value: s.failed_pct.unwrap_or(0.0),
                reference: None,
                caption: format!("{} % dari {} kartu", number(s.failed_pct.unwrap_or(0.0), 1), number(s.attempted as f64, 0)),
                color: Color::Failed,
            })
            .collect();
        bars("chart-stations", "Kartu gagal per stasiun (Failed ÷ dicoba)", &rows, "")
    }

    /// The period's cards by status, one bar each (the dashboard's chart).
    #[must_use]
    pub fn card_status(r: &Recap) -> String {
        let c = &r.cards;
        let rows: Vec<Bar> = [("Menunggu", c.pending, Color::Pending), ("Clear", c.clear, Color::Clear), ("Failed", c.failed, Color::Failed)]
            .into_iter()
            .map(|(label, n, color)| Bar { label, value: n as f64, reference: None, caption: number(n as f64, 0), color })
            .collect();
        bars("chart-card-status", &format!("Kartu {} menurut status", r.period), &rows, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_chart_scales() {
        let svg = stacked_columns("c", "Kartu <b>&", &["Nov 2026".into()], &[Series { name: "Clear\"><script>", color: Color::Clear, values: vec![3.0] }]);
        assert!(svg.contains("viewBox=\"0 0 640 300\"") && svg.contains("width=\"100%\""));
        assert!(!svg.contains("<script>") && !svg.contains("<b>"));
        assert!(svg.contains("Kartu &lt;b&gt;&amp;"));
    }

    #[test]
    fn numbers_read_the_indonesian_way() {
        assert_eq!(number(1_234_567.0, 0), "1.234.567");
        assert_eq!(number(12.5, 1), "12,5");
        assert_eq!(number(0.0, 0), "0");
    }
}
