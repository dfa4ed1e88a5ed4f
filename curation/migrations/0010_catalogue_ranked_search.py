"""Stemmed, ranked catalogue search (``curation.search``) and indexes for the catalogue's sort
orders.

- PostgreSQL: every row's ``search_vector`` is rebuilt as a weighted ``english`` tsvector (it was
  an unweighted ``simple`` one, without stemming); the GIN index from 0004 serves it.
- SQLite: an FTS5 table with the porter tokenizer, filled from the existing rows, and a trigger
  that removes a row's text when the row is deleted.
"""

from django.db import migrations, models

FTS_TABLE = "curation_datasetindex_fts"


def forwards(apps, schema_editor):
    from curation import search

    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "title, tasks, robot, body, tokenize = 'porter unicode61')"
        )
        schema_editor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON "
            f"curation_datasetindex BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = old.id; END"
        )
    if vendor in ("sqlite", "postgresql"):
        search.index_text(None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("curation", "0009_inference")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.AddIndex(
            model_name="datasetindex",
            index=models.Index(
                condition=models.Q(("is_latest", True)),
                fields=["-episodes", "-id"],
                name="index_latest_episodes",
            ),
        ),
        migrations.AddIndex(
            model_name="datasetindex",
            index=models.Index(
                condition=models.Q(("is_latest", True)),
                fields=["-frames", "-id"],
                name="index_latest_frames",
            ),
        ),
        migrations.AddIndex(
            model_name="datasetindex",
            index=models.Index(
                condition=models.Q(("is_latest", True)),
                fields=["title", "id"],
                name="index_latest_title",
            ),
        ),
    ]
