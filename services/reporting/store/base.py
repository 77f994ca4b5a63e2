"""The reporting tables' declarative base, and the tables runtime mechanisms define on it (outbox, inbox,
roster days and chunks)."""



from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from services.runtime.inbox import define_inbox
from services.runtime.outbox import define_outbox
from services.runtime.rosters import define_roster_tables


class Base(DeclarativeBase):
    metadata = MetaData()


roster_tables = define_roster_tables(Base.metadata)  # roster_days and roster_chunks (services.runtime.rosters)
outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)
