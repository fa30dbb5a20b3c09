from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What an operator watches (operations.md sections 8 and 9): the pull log and what
    InTarget never received, fed by the end of every answer (``answer_ended``)."""

    name = "operations"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from intarget_export.answer_end import answer_ended
        from operations.recording import record_pull

        answer_ended.connect(record_pull, dispatch_uid="operations.pull_log")
