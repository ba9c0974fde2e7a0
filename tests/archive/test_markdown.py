"""Markdown from depositors and reviewers: formatted, and never able to run script."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from matcloud.archive.markdown import render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onclick="alert(1)" onmouseover="alert(1)">x</p>',
    "<style>body { display: none }</style>",
    '<form action="https://evil.example"><input name="q"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="#" title="x" onfocus="alert(1)" autofocus>x</a>',
    "<!-- <img src=x onerror=alert(1)> -->",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
]


@pytest.mark.parametrize("payload", XSS)
def test_no_payload_survives(payload: str) -> None:
    html = str(render_markdown(f"Before\n\n{payload}\n\nafter"))
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<iframe" not in lowered and "<object" not in lowered and "<embed" not in lowered
    assert "<style" not in lowered and "<svg" not in lowered and "<math" not in lowered
    assert "<form" not in lowered and "<input" not in lowered and "<meta" not in lowered
    assert "<base" not in lowered
    assert not re.search(r"\son[a-z]+\s*=", lowered), html
    assert "style=" not in lowered
    assert not re.search(r"(href|src)\s*=\s*\"?\s*(javascript|vbscript|data):", lowered), html


def test_escaped_code_keeps_the_characters_as_text() -> None:
    html = str(render_markdown("`<script>alert(1)</script>`"))
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in html


def test_common_formatting_is_kept() -> None:
    html = str(
        render_markdown(
            "Some *em*, **strong**, `code`, H<sub>2</sub>O and x<sup>2</sup>.\n\n"
            "- one\n- two\n\n1. first\n\n> quoted\n\n"
            "```\nprint(1)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
        )
    )
    for fragment in [
        "<em>em</em>",
        "<strong>strong</strong>",
        "<code>code</code>",
        "H<sub>2</sub>O",
        "x<sup>2</sup>",
        "<ul>",
        "<li>one</li>",
        "<ol>",
        "<blockquote>",
        "<pre><code>print(1)",
        "<table>",
        "<th>a</th>",
        "<td>2</td>",
    ]:
        assert fragment in html, fragment


def test_links_are_nofollow_and_may_point_to_http_mailto_or_relative() -> None:
    html = str(
        render_markdown(
            '[paper](https://doi.org/10.1/x "The paper") [mail](mailto:a@b.org) [here](/records)'
        )
    )
    assert (
        '<a href="https://doi.org/10.1/x" title="The paper" rel="nofollow noopener">paper</a>'
    ) in html
    assert 'href="mailto:a@b.org"' in html and 'href="/records"' in html
    assert html.count('rel="nofollow noopener"') == 3


def test_a_link_with_its_own_rel_gets_ours() -> None:
    html = str(render_markdown('<a href="https://x.org" rel="opener">x</a>'))
    assert 'rel="nofollow noopener"' in html and "opener" not in html.replace("noopener", "")


def test_images_only_from_https_or_relative_addresses() -> None:
    html = str(
        render_markdown(
            "![a](https://ok.example/a.png) ![b](figures/b.png) ![c](http://plain.example/c.png) "
            "![d](//host.example/d.png) ![e](data:image/png;base64,AAAA) ![f](ftp://x/f.png)"
        )
    )
    assert 'src="https://ok.example/a.png"' in html
    assert 'src="figures/b.png"' in html
    assert html.count("src=") == 2
    assert 'alt="c"' in html  # the image stays, without its address


def test_headings_move_down_two_levels() -> None:
    html = str(render_markdown("# One\n\n## Two\n\n### Three\n\n#### Four\n\n###### Six"))
    assert "<h3>One</h3>" in html and "<h4>Two</h4>" in html and "<h5>Three</h5>" in html
    assert "<h6>Four</h6>" in html and "<h6>Six</h6>" in html
    assert "<h1" not in html and "<h2" not in html


def test_raw_top_level_headings_are_flattened_to_text() -> None:
    html = str(render_markdown("<h1>Big</h1>\n\n<h2>Bigger</h2>"))
    assert "Big" in html and "Bigger" in html
    assert "<h1" not in html and "<h2" not in html


def test_the_result_is_markup_and_empty_text_renders_nothing() -> None:
    assert isinstance(render_markdown("*x*"), Markup)
    assert render_markdown("") == Markup("") and render_markdown("  \n ") == Markup("")


def test_plain_text_is_escaped() -> None:
    html = str(render_markdown("5 < 6 & 7 > 3 \"quoted\" 'single'"))
    assert "5 &lt; 6 &amp; 7 &gt; 3" in html
