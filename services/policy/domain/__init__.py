"""Pure domain rules of the policy service: no I/O, no database, no broker.

One idea per module:

- :mod:`.geo` — geodesic distances (WGS84) and the nearest allowed place;
- :mod:`.schedule` — daily check-in windows in tenant local time, on time / late;
- :mod:`.requirement` — whether a check-in is required that day (WFO/WFH, exemptions);
- :mod:`.geofence` — whether a check-in comes from an allowed place;
- :mod:`.suspicion` — signs that a check-in may not be genuine;
- :mod:`.evaluation` — the verdict on one check-in, composed from the above;
- :mod:`.nip` — validation of the civil servant's number (NIP);
- :mod:`.quota` — how many people a unit keeps in the office;
- :mod:`.roster` — who works in the office (WFO) or at home (WFH) on which day.
"""
