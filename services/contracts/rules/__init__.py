"""Rules that more than one service needs, written once as pure functions (no I/O).

Every service calls these; none restates them (a copy is a bug). One idea per module:

- :mod:`.versions` — which version of a circular letter applies to a day, planned
  (reports, rosters) or as known at a capture time (verdicts, late-submission limit);
- :mod:`.sectors` — a unit's sector, inherited up the unit tree;
- :mod:`.quota` — the in-office share a sector sets, and how many people that is;
- :mod:`.work_mode` — exemptions and the day's work mode (WFO, WFH or unknown);
- :mod:`.requirement` — WFH-only kinds and whether a window (or a check-in) is asked of
  someone on a day: the one rule behind policy's ``not_required`` and reporting's
  expectations, reminders and overdue notices;
- :mod:`.windows` — a check-in window's start, end and deadline on a local day, in UTC;
- :mod:`.retention` — a tenant's retention periods and whether a record has passed its period.
"""
