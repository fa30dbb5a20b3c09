from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """A player's erasure (operations.md section 11): what is personal in every feed, the
    writer that blanks it, and the record of who erased whom."""

    name = "privacy"
    verbose_name = "Privacy"
    default_auto_field = "django.db.models.BigAutoField"
