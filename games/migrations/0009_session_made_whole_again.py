from django.db import migrations

from games import session_triggers


class Migration(migrations.Migration):
    """SQLite: a session whose row was deleted by hand while it kept actions is made again
    from all of its actions by its next one (games_session_resumed), as on PostgreSQL; the
    session triggers are installed again."""

    dependencies = [
        ('games', '0008_session_updated_at_kept'),
    ]

    operations = [
        migrations.RunPython(session_triggers.reinstall, migrations.RunPython.noop),
    ]
