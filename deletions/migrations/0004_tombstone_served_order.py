from django.db import migrations

from deletions.served_order import install, uninstall


class Migration(migrations.Migration):
    """GET /api/deletions orders a window by (deleted_at as served, feed, id), assurance.md
    section 15: within one served second by feed and id, not by the stored fraction. An
    index on (the served second, feed, row_id) keeps the window a range scan in that
    order (feeds/served_second.py). Not atomic: PostgreSQL builds it CONCURRENTLY."""

    atomic = False

    dependencies = [
        ('deletions', '0003_session_rows_deleted_directly'),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
