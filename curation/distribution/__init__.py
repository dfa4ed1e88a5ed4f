"""Published datasets leaving the platform: the file browser and downloads (single files, a
streamed zip of a version), the dataset card (README, licence, citation, JSON-LD), and a read-only
Hugging Face Hub-compatible API so that ``huggingface_hub`` and ``lerobot`` can use the platform as
their endpoint (``HF_ENDPOINT``).

Every route here reads through ``curation.distribution.selectors``, which applies the same rule as
the listings: what a user may list is what the user may download.
"""
