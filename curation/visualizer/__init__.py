"""The dataset page's episode visualizer: synced camera videos and charts per episode, an episode
table with quality flags, stats stored vs recomputed, and the lerobot-edit-dataset command that
removes flagged episodes.

* ``flags``   quality flags of episodes (plain numpy; unit-tested on hand-made series)
* ``build``   reads a dataset folder once and writes the precomputed files (no Django)
* ``frames``  the limited subprocess that decodes first/last frames of videos
* ``store``   services and selectors: build into storage at indexing time, read it back
* ``views``   the page's context, the data endpoints and the range-serving video endpoint
"""
