"""``python -m tools`` is the ``hadir`` command (for a clone without the console script)."""

from tools.cli import app

app()
