from django.apps import AppConfig


class IntargetExportConfig(AppConfig):
    name = "intarget_export"
    verbose_name = "InTarget export"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from intarget_export import checks  # noqa: F401  (registers the system checks)
        from intarget_export.db_bounds import install as bound_database_waits
        from intarget_export.model_fields import register_sqlite_functions

        connection_created.connect(register_sqlite_functions)
        connection_created.connect(bound_database_waits)

        # After the admin's autodiscovery (django.contrib.admin is the first app): every
        # admin list, whoever registered it, writes times and money as the API does.
        from intarget_export.admin import api_text_everywhere

        api_text_everywhere()
