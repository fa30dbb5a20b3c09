from django.apps import AppConfig


class FeedsConfig(AppConfig):
    """The feed registry and the row contract: each feed's columns, the kinds of value and
    how they are written, the window, and the change time the database stamps."""

    name = "feeds"
    verbose_name = "Feeds"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from feeds import checks  # noqa: F401  (registers the system checks)
        from feeds import db_stamping, db_triggers
        from feeds.model_fields import register_sqlite_functions

        connection_created.connect(register_sqlite_functions)
        # The triggers every feed's rows need, in place after every migrate; the other
        # sets are registered by the apps that own them (feeds/db_triggers.py).
        db_triggers.register(db_stamping.TRIGGER_SET)
        post_migrate.connect(
            db_triggers.reinstall_lacking, sender=db_triggers.last_migrated_app(), dispatch_uid="feeds.db_triggers"
        )
