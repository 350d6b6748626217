"""Nothing the REST docs or the console serve makes a browser fetch from another host: the
vendored files and the templates load only what Tourmaline serves itself (no CDN, no remote
logos or fonts; operators' networks and CI have no internet)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tourmaline

PACKAGE = Path(tourmaline.__file__).parent
SERVED = ("api/static", "ui/static", "ui/templates")
TEXT_SUFFIXES = {".js", ".css", ".html"}
# An image or script source, a CSS url() or @import, or a stylesheet link, naming a remote host.
# Case-sensitive: JavaScript's `new URL("https://" + host)` builds an address, it loads nothing.
REMOTE_LOAD = re.compile(
    r"""(?:\bsrc\s*[:=]\s*|\burl\(\s*|@import\s+(?:url\(\s*)?|<link\b[^>]*\bhref\s*=\s*)"""
    r"""["'`]?(?:https?:)?//"""
)


def served_files() -> list[Path]:
    return sorted(
        path
        for folder in SERVED
        for path in (PACKAGE / folder).rglob("*")
        if path.suffix in TEXT_SUFFIXES
    )


def test_there_are_served_files_to_check() -> None:
    names = {path.name for path in served_files()}
    assert {"redoc.standalone.js", "swagger-ui-bundle.js", "htmx.min.js", "pico.min.css"} <= names


@pytest.mark.parametrize("path", served_files(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_a_served_file_loads_nothing_from_another_host(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    loads = [text[max(m.start() - 40, 0) : m.end() + 60] for m in REMOTE_LOAD.finditer(text)]
    assert loads == []


@pytest.mark.parametrize(
    "line",
    [
        'r.createElement("img",{src:"https://cdn.example/logo.svg"})',
        '<img src="//cdn.example/a.png">',
        "body{background:url( 'https://cdn.example/bg.png')}",
        '@import "https://fonts.example/css";',
        '<link rel="stylesheet" href="https://cdn.example/x.css">',
    ],
)
def test_the_check_recognises_remote_loads(line: str) -> None:
    assert REMOTE_LOAD.search(line)


@pytest.mark.parametrize(
    "line",
    [
        '<a href="https://redocly.com/redoc/">API docs by Redocly</a>',
        "url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E\")",
        '<script src="/ui/static/htmx.min.js"></script>',
        'n.parsed=new URL("https://"+r+e)',
    ],
)
def test_links_inline_data_and_local_files_pass(line: str) -> None:
    assert REMOTE_LOAD.search(line) is None
