"""Plumbing shared by every Hadir service: settings, logging, database, Kafka,
transactional outbox, inbox, consumers with dead letters, metrics and auth.

Nothing here knows about a particular service's domain.
"""
