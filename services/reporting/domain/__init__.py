"""Pure rules of the reporting service: no I/O, no database, no web framework.

One idea per module:

- :mod:`.windows` — the windows of a day, each under the letter version in force at
  its opening (the version policy judges its check-ins by), and which will close;
- :mod:`.expectations` — who is expected to check in for a window (the shared rules of
  :mod:`services.contracts.rules` applied set-based);
- :mod:`.ledger` — how an expected employee did in a window: on time, late, missing or
  pending, the one rule behind the ledger, the daily report, exports and late verdicts;
- :mod:`.daily` — counts per window and unit, in-office shares against quotas;
- :mod:`.daily_report` — the daily report built from the facts of a day;
- :mod:`.scoring` — the discipline score of the month-end evaluation;
- :mod:`.monthly` — the month-end calendar and the monthly report;
- :mod:`.national` — the national view (aggregates only).

The facts are gathered by :mod:`services.reporting.queries` (and the scheduler,
reports, monthly and verification modules), which then call these builders.
"""
