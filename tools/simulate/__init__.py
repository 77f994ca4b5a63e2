"""``hadir simulate``: one compressed working day against running services, checked
against its own ground truth.

It creates a tenant over the policy API (units of the three sectors, N employees
through the CSV import — or one ``PUT`` each where the import is missing — and a
circular letter whose four windows — apel/attendance, location share, video
conference, activity report — open a little after now and last a few tens of
seconds, every day of the week a working day), then plays the day: each employee's
check-in for each window is, by a seeded random draw, on time, late (after the
window's end, before its deadline), missing, or late *after* the overdue notice; a
sent check-in may come from outside the geofence (attendance and location) or carry
the device's mock-location flag (suspicious). Check-ins go through the check-in API
with each employee's token, concurrently and bounded, at their capture time. Once
the windows have closed it reads the reporting service's daily report and counts
the tenant's ``report.overdue`` events on Kafka, and prints its ground truth beside
them; the exit status is 1 on any difference.

Staff of the critical unit (100 % in the office) work in the office: only the
attendance window is asked of them (the policy's rule), at the office's geofence.

Compressed time makes travel speeds meaningless, so the simulated letter raises
``max_travel_speed_kmh``; everything else is the default policy.

    python -m tools.simulate --employees 5000 --seed 7     (or: hadir simulate …)

``day`` plans the day and its ground truth (pure), ``simulator`` plays it against the services,
``cli`` is the command line.
"""

