//! FAQ answers are Markdown written by an admin and shown to everyone, so
//! the HTML made from them carries nothing a browser would run or load:
//! - raw HTML (blocks and inline tags) is shown as the text that was typed;
//! - a link keeps its target only for `http:`, `https:` and `mailto:`
//!   (anything else, `javascript:` included, leaves just the link's words);
//! - an image is replaced by its description, nothing is fetched.
//!
//! The check runs on the parser's events, after Markdown has decoded
//! entities and escapes, so `&#106;avascript:` is seen as `javascript:`.
use pulldown_cmark::{html, Event, LinkType, Options, Parser, Tag, TagEnd};

/// Schemes a link may point to (compared case-insensitively).
const SCHEMES: [&str; 3] = ["http://", "https://", "mailto:"];

/// Whether a link target may stay a link.
#[must_use]
pub fn allowed_target(target: &str) -> bool {
    // Browsers drop tabs and newlines inside a scheme ("java\tscript:"):
    // a target with any control or space character is refused outright.
    if target.is_empty() || target.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    SCHEMES.iter().any(|scheme| target.len() > scheme.len() && target.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes()))
}

/// The events of `markdown` with everything unsafe turned into text or left out.
struct Safe<'a, I: Iterator<Item = Event<'a>>> {
    inner: I,
    /// One entry per open link: whether its tags are kept.
    links: Vec<bool>,
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for Safe<'a, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            let event = self.inner.next()?;
            return Some(match event {
                Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
                // A raw HTML block becomes a paragraph of its text.
                Event::Start(Tag::HtmlBlock) => Event::Start(Tag::Paragraph),
                Event::End(TagEnd::HtmlBlock) => Event::End(TagEnd::Paragraph),
                Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                    // `<a@b.id>` autolinks are written as mailto: by the HTML writer.
                    let keep = link_type == LinkType::Email || allowed_target(&dest_url);
                    self.links.push(keep);
                    if !keep {
                        continue;
                    }
                    Event::Start(Tag::Link { link_type, dest_url, title, id })
                }
                Event::End(TagEnd::Link) => {
                    if !self.links.pop().unwrap_or(false) {
                        continue;
                    }
                    event
                }
                // The image's description (its inner text events) stays.
                Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => continue,
                other => other,
            });
        }
    }
}

/// Safe HTML for `markdown` (CommonMark with tables and strikethrough).
#[must_use]
pub fn render(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
    html::push_html(&mut out, Safe { inner: parser, links: Vec::new() });
    out
}
