from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Who may use the feeds: API keys and their rules, the client's address, limits per key."""

    name = "access"
    verbose_name = "Access control"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from access.configuration import validate_access_settings

        validate_access_settings()
