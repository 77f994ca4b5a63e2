"""Pure rules of the notify service: no I/O, no database, no broker, no HTTP.

One idea per module:

- :mod:`.people` — who a person is to notify and through which channels; a tenant's view
  (zone, quiet hours, escalation thresholds);
- :mod:`.planned` — a notification planned for the delivery log, and when it is first due;
- :mod:`.escalation` — when missed windows reach a unit head (the crossing of a threshold);
- :mod:`.reminders` — when the day-before reminder of an office day is due and expires;
- :mod:`.policy_notice` — the sector and in-office quota a policy notice states;
- :mod:`.texts` — dates, times (WIB/WITA/WIT) and labels in the recipient's language;
- :mod:`.quiet` — quiet hours; :mod:`.retry` — backoff and the retry horizon;
- :mod:`.signing` — Standard Webhooks signatures; :mod:`.webhooks` — event types, filters, bodies.

Rules other services need too (a unit's sector, a sector's quota) are in
:mod:`services.contracts.rules`, called from here, never restated.
"""
