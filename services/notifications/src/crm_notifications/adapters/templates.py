"""E-mail and inbox texts from Jinja2 templates: `templates/<rule>.txt` (first line: the
subject) and `templates/layout.html`, which wraps the text for the HTML part.

Everything renders in Jinja2's sandbox: campaign mail templates are written by users and must
not reach into Python objects. Missing values render empty.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class _Jinja:
    def __init__(self) -> None:
        self._text = SandboxedEnvironment(
            autoescape=False, undefined=ChainableUndefined, keep_trailing_newline=True
        )
        self._html = SandboxedEnvironment(
            autoescape=True, undefined=ChainableUndefined, keep_trailing_newline=True
        )

    def render(self, source: str, context: Mapping[str, Any], *, escape: bool) -> str:
        env = self._html if escape else self._text
        return str(env.from_string(source).render(**context))


class Templates:
    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self._dir = directory
        self._engine = _Jinja()
        self._cache: dict[str, str] = {}

    def _source(self, name: str) -> str | None:
        if name not in self._cache:
            path = self._dir / name
            if not path.is_file():
                return None
            self._cache[name] = path.read_text(encoding="utf-8")
        return self._cache[name]

    def render_string(self, source: str, context: Mapping[str, Any], *, html: bool) -> str:
        return self._engine.render(source, context, escape=html)

    def render(self, name: str, context: Mapping[str, Any]) -> Rendered:
        """Subject, text and HTML of template `name` (falls back to `default`)."""
        source = self._source(f"{name}.txt") or self._source("default.txt") or "{{ title }}\n"
        subject, _, body = self.render_string(source, context, html=False).partition("\n")
        text = body.strip() + "\n"
        own_html = self._source(f"{name}.html")
        if own_html is not None:
            page = self.render_string(own_html, context, html=True)
        else:
            page = self.layout(subject.strip(), text, context)
        return Rendered(subject=subject.strip(), text=text, html=page)

    def layout(self, subject: str, text: str, context: Mapping[str, Any]) -> str:
        """The HTML part: the layout around the text, paragraphs kept, everything escaped."""
        paragraphs = "".join(
            "<p>" + html.escape(p).replace("\n", "<br>") + "</p>\n"
            for p in text.strip().split("\n\n")
            if p.strip()
        )
        layout = self._source("layout.html") or "{{ body }}"
        # The body is HTML already; the layout engine must not escape it again.
        marker = "\x00BODY\x00"
        page = self.render_string(
            layout, {**context, "subject": subject, "body": marker}, html=True
        )
        return page.replace(marker, paragraphs)
