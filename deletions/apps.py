from django.apps import AppConfig


class DeletionsConfig(AppConfig):
    """Rows deleted from the served feeds (assurance.md section 15): the tombstones the
    database's triggers leave, the ``deletions`` feed that serves them, ``delete_rows``."""

    name = "deletions"
    verbose_name = "Deletions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from deletions.triggers import TRIGGER_SET, add_service_triggers
        from feeds import db_triggers

        connection_created.connect(add_service_triggers)
        # Installed again after a migrate that lost any (a table rebuilt on SQLite).
        db_triggers.register(TRIGGER_SET)
