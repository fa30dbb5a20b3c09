from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The HTTP surface under /api/: the feed view (pull and push), content negotiation,
    compression and spooling, error bodies, the OpenAPI document and its docs page."""

    name = "api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from api.push_body import push_max_bytes
        from api.spooling import spool_max_bytes

        # A mistyped PUSH_MAX_BYTES or SPOOL_MAX_BYTES stops the service at startup with its message.
        push_max_bytes()
        spool_max_bytes()
