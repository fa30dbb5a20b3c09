from pathlib import Path
from typing import Any

from django.apps import AppConfig


class IntargetExportConfig(AppConfig):
    """The project package as an app: the site's checks, its admin site, its pages and
    formats, and the migrations it has always held (the stamping triggers among them)."""

    name = "intarget_export"
    verbose_name = "InTarget export"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from intarget_export import checks  # noqa: F401  (registers the system checks)
        from lib.db_bounds import install as bound_database_waits

        connection_created.connect(bound_database_waits)
        connection_created.connect(private_sqlite_file)

        # After the admin's autodiscovery (django.contrib.admin is the first app): every
        # admin list, whoever registered it, writes times and money as the API does.
        from intarget_export.admin import api_text_everywhere

        api_text_everywhere()


def private_sqlite_file(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A SQLite database holds every player's personal data: 0600 whatever the umask."""
    from lib.private_files import private_database_file

    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        private_database_file(Path(connection.settings_dict["NAME"]))
