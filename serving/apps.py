from django.apps import AppConfig


class ServingConfig(AppConfig):
    """Serving a window: waiting until it is final, choosing the database to read, and
    streaming its rows as CSV or JSON (the API and ``export_feed`` both call it)."""

    name = "serving"
    verbose_name = "Serving windows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from serving import checks  # noqa: F401  (registers the system checks)
