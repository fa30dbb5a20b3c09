from django.apps import AppConfig


class LoadingConfig(AppConfig):
    """Loading rows: files and request bodies, read, checked and upserted into the feeds'
    tables (``import_feed`` and the push endpoint both call it)."""

    name = "loading"
    verbose_name = "Loading rows"
    default_auto_field = "django.db.models.BigAutoField"
