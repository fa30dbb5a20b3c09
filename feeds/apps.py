from django.apps import AppConfig


class FeedsConfig(AppConfig):
    """The feed registry and the row contract: each feed's columns, the kinds of value and
    how they are written, the window, and the change time the database stamps."""

    name = "feeds"
    verbose_name = "Feeds"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from feeds import checks  # noqa: F401  (registers the system checks)
        from feeds.model_fields import register_sqlite_functions

        connection_created.connect(register_sqlite_functions)
