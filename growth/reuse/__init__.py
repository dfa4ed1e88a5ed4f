"""Per-domain reuse metrics of the Hugging Face Hub (issue 6): derivatives, dataset reuse,
concentration, adoption. ``compute`` is plain pyarrow/numpy (no Django) and is what the command
line, the Celery task and the benchmark run; ``services``/``selectors`` store and read results.
Definitions: ``growth/REUSE.md`` and ``definitions.py``.
"""
