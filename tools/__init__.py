"""Development and test tooling for Hadir: the ``hadir`` CLI, local Kafka and PostgreSQL,
the demo tenant, fault runs, the day simulator and benchmark helpers.

Never shipped: the wheel (``[tool.setuptools.packages.find]``) and the Docker image carry
only ``services``. Importable from a clone (``pip install -e '.[dev]'`` puts the clone on
``sys.path``) and from the repository root.
"""
