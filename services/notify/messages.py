"""Message texts from Jinja2 templates, Bahasa Indonesia by default and English.

Each template under ``templates/<language>/<kind>.txt.j2`` has a ``subject`` and a
``body`` block. Templates format through ``f``, a
:class:`~services.notify.domain.texts.Formatter` for the recipient's language and the
tenant's zone. This module reads the template files (cached); the formatting is pure.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notify.domain import decisions
from services.notify.domain.texts import Formatter
from services.notify.settings import LANGUAGES

TEMPLATES = Path(__file__).parent / "templates"
KINDS = ("due_soon", "overdue", "escalation", "checkin_flagged", "policy_updated", "roster", "roster_day",
         *decisions.KINDS, "escalation_bkd")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=False,  # plain text for email and WhatsApp
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(kind: str, language: str, timezone: str, **context: Any) -> tuple[str, str]:
    """(subject, body) of one message."""
    if language not in LANGUAGES:
        language = "id"
    template = _environment().get_template(f"{language}/{kind}.txt.j2")
    ctx = template.new_context({**context, "f": Formatter(language, timezone)})
    subject = "".join(template.blocks["subject"](ctx)).strip()
    body = "".join(template.blocks["body"](ctx)).strip()
    return " ".join(subject.split())[:300], body
