"""Rendering of the files in ``templates/`` (jinja2, strict: a missing value is an error)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


@cache
def html_environment() -> Environment:
    """For HTML documents: every value escaped unless marked safe (an inline SVG chart)."""

    return Environment(loader=FileSystemLoader(TEMPLATE_DIR), undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, autoescape=True)


def render(name: str, **values: object) -> str:
    if name.endswith(".html.j2"):
        return html_environment().get_template(name).render(**values)
    return environment().get_template(name).render(**values)


def path(name: str) -> Path:
    return TEMPLATE_DIR / name
