//! FAQ answers are admin-written Markdown shown to every user: nothing in
//! them may run, load or navigate anywhere but http(s)/mailto.
use sifilma::models::faq::{
    markdown::{allowed_target, render},
    Form, SearchTerm, ANSWER_MAX, QUESTION_MAX,
};
use sifilma::models::AppError;

fn field_error(form: &Form, field: &str) -> Option<String> {
    match form.check() {
        Err(AppError::Invalid(errors)) => errors.get(field).map(str::to_string),
        _ => None,
    }
}

#[test]
fn markdown_becomes_html() {
    let html = render("**Tebal** dan *miring*\n\n1. satu\n2. dua\n\n[Situs Dukcapil](https://dukcapil.kemendagri.go.id)");
    assert!(html.contains("<strong>Tebal</strong>") && html.contains("<em>miring</em>"), "{html}");
    assert!(html.contains("<ol>") && html.contains("<li>satu</li>"), "{html}");
    assert!(html.contains(r#"<a href="https://dukcapil.kemendagri.go.id">Situs Dukcapil</a>"#), "{html}");
    assert!(render("<admin@dukcapil.go.id>").contains(r#"href="mailto:admin@dukcapil.go.id""#));
    assert!(render("[surat](mailto:admin@dukcapil.go.id)").contains(r#"href="mailto:admin@dukcapil.go.id""#));
}

#[test]
fn script_tags_are_shown_as_text() {
    let html = render("Halo <script>alert(1)</script> dunia");
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    let block = render("<script>\nalert(document.cookie)\n</script>\n");
    assert!(!block.contains("<script"), "{block}");
}

#[test]
fn raw_html_blocks_and_event_handlers_do_not_pass() {
    for md in [
        "<img src=x onerror=alert(1)>",
        "teks <img src=x onerror=alert(1)> teks",
        "<div onclick=\"alert(1)\">\n\n**isi**\n\n</div>",
        "<iframe src=\"https://contoh.id\"></iframe>",
        "<a href=\"javascript:alert(1)\">klik</a>",
        "<svg onload=alert(1)>",
        "<!-- komentar --><style>body{display:none}</style>",
    ] {
        let html = render(md);
        for bad in ["<img", "<div", "<iframe", "<a ", "<svg", "<style", "<!--"] {
            assert!(!html.contains(bad), "{md:?} gave {html}");
        }
    }
    assert!(render("<div onclick=\"alert(1)\">\n\n**isi**\n\n</div>").contains("<strong>isi</strong>"), "Markdown around raw HTML still renders");
}

#[test]
fn links_keep_only_safe_schemes() {
    for md in [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](<java script:alert(1)>)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
        "[x](/relatif)",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
    ] {
        let html = render(md);
        assert!(!html.contains("<a"), "{md:?} gave {html}");
        assert!(!html.to_lowercase().contains("javascript:") || !html.contains("href"), "{md:?} gave {html}");
    }
    assert!(render("[x](javascript:alert(1))").contains("<p>x</p>"), "the words of a refused link stay as plain text");
    assert!(allowed_target("HTTPS://contoh.id") && allowed_target("http://contoh.id/a?b=c") && allowed_target("mailto:a@b.id"));
    assert!(!allowed_target("https://") && !allowed_target("ftp://contoh.id") && !allowed_target(" https://contoh.id"));
}

#[test]
fn images_are_not_shown_but_their_description_is() {
    let html = render("![Foto reader](https://contoh.id/a.png) dan ![x](javascript:alert(1))");
    assert!(!html.contains("<img") && !html.contains("contoh.id"), "{html}");
    assert!(html.contains("Foto reader"), "{html}");
}

#[test]
fn question_and_answer_are_required_and_bounded() {
    let long_question = "a".repeat(QUESTION_MAX + 1);
    let form = Form { question: long_question, answer: "Jawaban".into() };
    assert_eq!(field_error(&form, "question").as_deref(), Some("Pertanyaan maksimal 300 karakter."));
    let form = Form { question: "Apa?".into(), answer: "b".repeat(ANSWER_MAX + 1) };
    assert_eq!(field_error(&form, "answer").as_deref(), Some("Jawaban maksimal 10000 karakter."));
    let form = Form { question: "   ".into(), answer: String::new() };
    assert_eq!(field_error(&form, "question").as_deref(), Some("Pertanyaan wajib diisi."));
    assert_eq!(field_error(&form, "answer").as_deref(), Some("Jawaban wajib diisi."));
    let exact = Form { question: "é".repeat(QUESTION_MAX), answer: "b".repeat(ANSWER_MAX) };
    assert!(exact.check().is_ok(), "limits count characters, not bytes");
}

#[test]
fn a_search_term_is_trimmed_and_bounded() {
    assert_eq!(SearchTerm::parse("  AkTiVaSi  ").as_str(), "AkTiVaSi");
    assert_eq!(SearchTerm::parse(&"x".repeat(10_000)).as_str().chars().count(), 100);
    assert!(SearchTerm::parse("   ").is_empty());
}

#[test]
fn a_long_answer_renders_quickly_and_safely() {
    let md = "<b>x</b> [a](javascript:1) ".repeat(400);
    assert!(md.len() <= 12_000);
    let started = std::time::Instant::now();
    let html = render(&md);
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
    assert!(!html.contains("<b>") && !html.contains("<a"));
    let nested = "[".repeat(5_000) + &"]".repeat(5_000);
    assert!(!render(&nested).contains("<a"));
}
