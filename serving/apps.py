from django.apps import AppConfig


class ServingConfig(AppConfig):
    """Serving a window: waiting until it is final, choosing the database to read, and
    streaming its rows as CSV or JSON (the API and ``export_feed`` both call it)."""

    name = "serving"
    verbose_name = "Serving windows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from serving import checks  # noqa: F401  (registers the system checks)
        from serving.digest import register_sqlite_digest

        # SQLite's digest aggregate, on every connection (serving/digest.py).
        connection_created.connect(register_sqlite_digest, dispatch_uid="serving.digest.sqlite")
