"""The windows of a local day, each under the letter version in force when it closes (pure).

A window belongs to the day under the version in force at its *deadline*
(:func:`services.contracts.rules.versions.at_capture` at the deadline): the version that
holds when reporting closes the window and the one policy judges the window's last
check-ins by. So when a version takes effect in the middle of a day, the windows that
closed before it are those of the version before — policy judged their check-ins under
that one — and the windows still open or opening later are the new version's, including
a window the amendment adds while it is already open (the demo's practice window). (The
version *of the day*, :func:`~services.contracts.rules.versions.for_day`, would give the
whole day to the new version, whose morning windows had closed before it took effect,
and the morning policy judged would never be closed.)

- Versions are taken in the order they took effect and their windows in the letter's
  order; a window id already taken that day by an earlier version's window is skipped.
- A window *closes* (ledger rows, overdue notices) only if its deadline is not before
  its version took effect: nobody can be told of a window that ended before its letter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from services.contracts.policy import PolicyContent, Window
from services.contracts.rules.versions import Dated, at_capture, aware, covers
from services.contracts.rules.windows import WindowBounds, window_bounds


class Letter(Dated, Protocol):
    """A version as reporting keeps it: its range, moment of effect, number and content."""

    @property
    def number(self) -> str: ...
    @property
    def content(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class DayWindow:
    """One window of a day, its version (and that version's content) and its bounds."""

    version: Letter
    content: PolicyContent
    window: Window
    bounds: WindowBounds

    @property
    def closes(self) -> bool:
        """Whether the window is ever closed (its deadline is not before its version took effect)."""
        return self.bounds.deadline >= aware(self.version.effective_at)


def day_windows(versions: Iterable[Letter], day: date, tz: str) -> list[DayWindow]:
    """The windows of local ``day`` in zone ``tz`` under the versions known (module docstring)."""
    covering = sorted((v for v in versions if covers(v.valid_from, v.valid_until, day)),
                      key=lambda v: (aware(v.effective_at), v.version))
    found: list[DayWindow] = []
    taken: set[str] = set()
    for version in covering:
        content = PolicyContent.model_validate(version.content)
        for window in content.windows:
            bounds = window_bounds(window, day, tz)
            if window.id not in taken and at_capture(covering, day, bounds.deadline) is version:
                taken.add(window.id)
                found.append(DayWindow(version, content, window, bounds))
    return found


def awaiting_closure(windows: Sequence[DayWindow], closed: Iterable[str]) -> list[DayWindow]:
    """The windows of a day that will close and have not closed yet (``closed``: their ids)."""
    done = set(closed)
    return [w for w in windows if w.closes and w.window.id not in done]
