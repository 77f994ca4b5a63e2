"""Check-in service: accepts every check-in an employee makes, stores it append-only
and publishes ``checkin.received`` through the transactional outbox."""
