"""The catalogue's generation number (``CatalogueGeneration``): cached counts are keyed by it, and
it changes in the same transaction as the index, so invalidation holds across web processes."""

from django.db import migrations, models


def first_generation(apps, schema_editor):
    apps.get_model("curation", "CatalogueGeneration").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("curation", "0010_catalogue_ranked_search")]

    operations = [
        migrations.CreateModel(
            name="CatalogueGeneration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=1)),
            ],
        ),
        migrations.RunPython(first_generation, migrations.RunPython.noop),
    ]
