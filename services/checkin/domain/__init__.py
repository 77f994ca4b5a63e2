"""Pure rules of the check-in service: no I/O, no database, no broker, no HTTP.

One idea per module:

- :mod:`.capture` — when a capture time is acceptable: at most 5 minutes ahead of the
  server clock, at most the late-submission limit of the letter version it was
  captured under behind it;
- :mod:`.idempotency` — the fingerprint that tells a retry from a different request
  under the same idempotency key, and which item of a batch speaks for a key;
- :mod:`.days` — the tenant's zone, a local day as UTC bounds, naive instants as UTC;
- :mod:`.reviews` — heads' reviews of activity reports and video conferences: who may
  decide, the next revision, the event, what heads and the employee read.

Which letter version a capture time falls under is the shared rule
:func:`services.contracts.rules.versions.at_capture`, the one the policy service
judges the check-in by; it is called from here, never restated.
"""
