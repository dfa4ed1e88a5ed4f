"""Django side of the on-device inference check (issue 7).

The check itself is plain Python in ``validators/inference``; this package stores policies and
runs (``curation/models/inference.py``), queues runs on the ``inference`` Celery queue
(``services.py``, ``tasks.py``), and shows them (``api.py``, ``views.py``, the
``{% inference_panel %}`` tag in ``curation/templatetags/inference.py``).
"""
