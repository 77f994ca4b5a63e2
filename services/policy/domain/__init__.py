"""Pure domain rules of the policy service: no I/O, no database, no broker.

One idea per module:

- :mod:`.geo` — geodesic distances (WGS84) and the nearest allowed place;
- :mod:`.schedule` — daily check-in windows in tenant local time, on time / late;
- :mod:`.geofence` — whether a check-in comes from an allowed place;
- :mod:`.suspicion` — signs that a check-in may not be genuine;
- :mod:`.evaluation` — the verdict on one check-in, composed from the above;
- :mod:`.nip` — validation of the civil servant's number (NIP);
- :mod:`.places` — an employee's named places over time (effective-dated);
- :mod:`.unit_tree` — which unit trees a tenant may hold (no unknown parents, no loops);
- :mod:`.roster` — who works in the office (WFO) or at home (WFH) on which day;
- :mod:`.rostering` — a unit's roster across changing rules, and the checks on an override;
- :mod:`.letters` — how versions of a circular letter take effect, close each other, and stand;
- :mod:`.csv_cells` — reading a CSV table and its cells (bytes in memory, no files);
- :mod:`.csv_import` — the units and employees CSV formats personnel systems export.

Rules other services need too — which version applies, sectors and quotas, exemptions
and work mode, whether a check-in is required, window bounds — are in
:mod:`services.contracts.rules`, called from here, never restated.
"""
