"""Fault scenarios on real infrastructure: a crash or a broken connection must never lose
or duplicate a check-in, nor a notification (``make chaos``).

    python -m tools.chaos [--fault NAME ...] [--log-dir DIR]

One environment serves every scenario: a three-node Kafka cluster (``kafka_local``,
topics with replication factor 3, ``min.insync.replicas=2``, producers ``acks=all``),
one throwaway PostgreSQL server with a database per service (``postgres_local``) and
the four services as child processes (``suite``). Each scenario loads a fresh tenant
over HTTP, streams check-ins while one fault strikes, waits for the system to
converge and prints one line::

    FAULT <name>: sent=N accepted=N counted=N lost=0 duplicates=0

Faults: ``broker-kill`` (SIGKILL the Kafka node coordinating the policy service's
consumer group, restart it), ``<service>-kill`` for checkin, policy, reporting and
notify (SIGKILL, restart), ``postgres-restart`` (fast shutdown, restart); on request
also ``postgres-crash`` (SIGKILL the postmaster).

The stream. 24 employees in two units; 20 of them share their location once in each
of 15 consecutive one-second windows (300 check-ins over ~21 s): 6 through the offline
batch endpoint (three windows per batch), the others one by one, every 7th sent twice
at once (a double tap). 4 never check in, so every window ends in ``report.overdue``
notices, and their unit heads get escalations. The device stamps ``captured_at``
inside the window; the client retries with the same Idempotency-Key (and body) on
connection errors and 5xx until the API answers 201, as a phone app does.

Counting. Reporting counts expected employees per window, so each check-in fills its
own (employee, window) cell and ``counted`` is the daily report's on time + late
summed over the windows (``GET /v1/reports/daily``); the per-employee rows of the
export (``/daily/export?sheet=rincian``) tell which cells. Then

- ``sent``: check-ins the client attempted; ``accepted``: distinct ones answered 201;
- ``lost``: accepted check-ins reporting does not count, accepted check-ins whose
  verdict never came back to the check-in service, and overdue notices or
  escalations reporting's ledger calls for that notify never recorded;
- ``duplicates``: rows beyond one per check-in in the check-in store (same employee
  and capture time), cells counted that no accepted check-in fills, one Idempotency-Key
  answered with two ids, and notifications beyond one per (kind, recipient, channel,
  occurrence, subject, body).

Exit status 1 if any scenario lost or duplicated anything (or the client could not
get every check-in accepted), 2 if the environment could not start.

The modules, one idea each: :mod:`~tools.chaos.parameters` (the numbers above),
:mod:`~tools.chaos.environment` (Kafka, PostgreSQL, the services), :mod:`~tools.chaos.faults`,
:mod:`~tools.chaos.tenant` (set up through :mod:`tools.seed`), :mod:`~tools.chaos.load`
(the stream), :mod:`~tools.chaos.accounting` (lost, duplicated, the FAULT line) and
:mod:`~tools.chaos.runner` (a scenario; the command line).
"""

from __future__ import annotations

from tools.chaos.accounting import Observation, Result, expected_notices, observe
from tools.chaos.environment import ChaosSetupError, Environment
from tools.chaos.faults import EXTRA_FAULTS, FAULTS, fault_action
from tools.chaos.runner import main, run_fault, scenario
from tools.chaos.tenant import Person, Tenant, people, setup_tenant

__all__ = ["EXTRA_FAULTS", "FAULTS", "ChaosSetupError", "Environment", "Observation", "Person", "Result", "Tenant",
           "expected_notices", "fault_action", "main", "observe", "people", "run_fault", "scenario", "setup_tenant"]
