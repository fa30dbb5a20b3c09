"""The shared cache's table (settings.CACHES), made by migrate like every other table, so
that a fresh install needs no extra `createcachetable` step. Nothing to do with Redis."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("access", "0002_key_rules")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
