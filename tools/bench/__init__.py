"""Building blocks of ``bench/suite_load.py`` (``make bench``): the open-loop load generator,
the infrastructure it runs on, the probes it reads and the report it prints.

They live here rather than under ``bench/`` because the Makefile runs every ``bench/*.py``
as a benchmark script.
"""
