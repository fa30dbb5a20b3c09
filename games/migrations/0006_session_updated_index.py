from django.db import migrations, models

INDEX = models.Index(fields=['updated_at', 'session_id'], name='session_updated')


def create(apps, schema_editor):
    """CONCURRENTLY on PostgreSQL: the triggers write the sessions on every action, and a
    plain CREATE INDEX would hold those writes for the whole build (as session_span)."""
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(apps.get_model("games", "GameSession"), INDEX)
        return
    with schema_editor.connection.cursor() as cursor:
        # A concurrent build that failed leaves an invalid index, which IF NOT EXISTS would keep.
        cursor.execute("SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('session_updated') AND NOT indisvalid")
        if cursor.fetchone() is not None:
            schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS session_updated")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS session_updated ON games_gamesession (updated_at, session_id)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_index(apps.get_model("games", "GameSession"), INDEX)
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS session_updated")


class Migration(migrations.Migration):
    """The sessions by their last action, for a digest's window (serving/digest.py). Not
    atomic: on PostgreSQL the index is built CONCURRENTLY, while the service keeps writing."""

    atomic = False

    dependencies = [
        ('games', '0005_session_span_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name='gamesession', index=INDEX),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
