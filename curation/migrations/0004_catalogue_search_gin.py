"""PostgreSQL only: a GIN index on the catalogue's tsvector (SQLite uses a portable fallback)."""

from django.db import migrations


def create_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS curation_datasetindex_search_gin "
            "ON curation_datasetindex USING GIN (search_vector)"
        )


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS curation_datasetindex_search_gin")


class Migration(migrations.Migration):
    dependencies = [("curation", "0003_submissions_review_catalogue")]
    operations = [migrations.RunPython(create_gin, drop_gin)]
