from django.db import migrations

from games import session_span


class Migration(migrations.Migration):
    """The sessions' span index, on PostgreSQL only (games/session_span.py): GiST, which
    SQLite has not, so not in the model's Meta. Not atomic: the index is built
    CONCURRENTLY, while the service keeps writing."""

    atomic = False

    dependencies = [
        ('games', '0004_covering_window_indexes'),
    ]

    operations = [
        migrations.RunPython(session_span.install, session_span.uninstall),
    ]
