from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What an operator watches (operations.md sections 8 and 9): the pull log and what
    InTarget never received, fed by the end of every answer (``answer_ended``); probes
    and metrics, the metrics fed by that signal, by ``finality_waited``, ``replica_waited`` and by
    the end of every push (``push_ended``)."""

    name = "operations"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from api.answer_end import answer_ended
        from api.push_end import push_ended
        from operations.metrics import (
            allowed_networks,
            count_answer,
            count_finality_wait,
            count_push,
            count_replica_wait,
        )
        from operations.recording import record_pull
        from serving.finality import finality_waited
        from serving.replicas import replica_waited

        # A mistyped METRICS_ALLOW stops the service at startup with its message.
        allowed_networks()
        # Heard once the answer has been sent, after its body's close and before its stream
        # slot goes back (lib/when_sent.py); a signal's receivers run in the order they were
        # connected: the pull log, then the metrics.
        answer_ended.connect(record_pull, dispatch_uid="operations.pull_log")
        answer_ended.connect(count_answer, dispatch_uid="operations.metrics")
        finality_waited.connect(count_finality_wait, dispatch_uid="operations.metrics")
        # Pushes are counted, never logged as pulls (they received no window).
        push_ended.connect(count_push, dispatch_uid="operations.metrics")
        replica_waited.connect(count_replica_wait, dispatch_uid="operations.metrics")
