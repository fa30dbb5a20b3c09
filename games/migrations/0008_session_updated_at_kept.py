from django.db import migrations

from games import session_triggers


class Migration(migrations.Migration):
    """A session's updated_at never goes back (feeds.md section 1): the session triggers,
    which now keep the greater of the stored updated_at and the recomputed last action's
    time (and, on SQLite, recompute a session in place instead of deleting and inserting
    its row), are installed again."""

    dependencies = [
        ('games', '0007_session_revised'),
    ]

    operations = [
        migrations.RunPython(session_triggers.reinstall, migrations.RunPython.noop),
    ]
