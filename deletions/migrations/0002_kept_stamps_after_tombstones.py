from django.db import migrations

from deletions import triggers


class Migration(migrations.Migration):
    """A row inserted again after its deletion is served after its tombstone in a backfill
    that keeps its timestamps too (assurance.md section 15): the triggers that move it,
    changed, are installed again (install is idempotent)."""

    dependencies = [
        ('deletions', '0001_initial'),
        ('games', '0008_session_updated_at_kept'),
    ]

    operations = [
        migrations.RunPython(triggers.install, migrations.RunPython.noop),
    ]
