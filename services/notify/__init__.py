"""Notify service: reminders and overdue notices to employees, escalations to heads,
and a delivery log that records exactly one notification per event, recipient and channel."""
