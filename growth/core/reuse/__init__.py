"""Reuse metrics computed from snapshot tables (pyarrow + numpy, no Django): ``compute`` is what
the command line, the Celery task and the benchmark run. Definitions: ``growth/REUSE.md`` and
``definitions.py``."""
