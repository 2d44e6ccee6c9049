"""The one Jinja2 environment for emails and pages: autoescaped HTML, raw plain text, strict undefined."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..domain.text import clean_inline
from .formats import count_noun, long_date, short_date, uk_date_time

__all__ = ["template_environment"]


@cache
def template_environment() -> Environment:
    """Built once: autoescape on for HTML templates and strings, off for `.txt.j2`; StrictUndefined
    (an undefined variable is an error, not an empty string); templates from `render/templates`."""
    env = Environment(
        loader=PackageLoader("advocacy_notify.render", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2"),
            disabled_extensions=("txt", "txt.j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    env.filters["short_date"] = short_date
    env.filters["uk_date_time"] = uk_date_time
    env.filters["clean"] = clean_inline
    env.filters["underline"] = _underline
    env.globals["count_noun"] = count_noun
    return env


def _underline(text: str, char: str = "-") -> str:
    """A plain-text heading: the text, then a line of `char` as long as it."""
    return f"{text}\n{char * len(text)}"
