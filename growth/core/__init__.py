"""Growth's Django-free core: plain pyarrow/numpy functions, importable and testable without
Django, like ``validators/``.

- ``snapshot``: the snapshot schema (one row per Hub repo and date) and its single check;
- ``domains``: the rule engine (which repos belong to which domain: tags, task categories,
  pipeline, library, **author namespace** and **lineage**);
- ``developers``: the one organization / developer-type / country classifier used by growth and
  reuse alike;
- ``aggregate``: the growth aggregates (creations per month, ranks, top authors, downloads);
- ``reuse``: the reuse metrics (concentration, derivatives, dataset reuse, adoption, sizes);
- ``simulate``: the labelled Hub simulator.

The Django side (``growth.models``, ``growth.services``, ``growth.selectors``, ``growth.reuse``)
stores what these functions return and reads it for pages.
"""
