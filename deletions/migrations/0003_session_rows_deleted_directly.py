from django.db import migrations

from deletions import triggers


class Migration(migrations.Migration):
    """A games session's row deleted directly (DELETE on either database, TRUNCATE on
    PostgreSQL) leaves a tombstone, as every row of a served feed's table does: the
    triggers, changed (and one added on PostgreSQL: deletions_truncated on
    games_gamesession), are installed again."""

    dependencies = [
        ('deletions', '0002_kept_stamps_after_tombstones'),
        ('games', '0009_session_made_whole_again'),
    ]

    operations = [
        migrations.RunPython(triggers.install, migrations.RunPython.noop),
    ]
