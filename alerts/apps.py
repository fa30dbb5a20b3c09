from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Expected pulls and alerts (assurance.md section 13): which keys should pull what
    how often, whether they do (``selectors.py``), the notifications of each change
    (``services.py``) and their delivery by webhook and e-mail (``delivery.py``), run by
    ``send_alerts``. It reads the pull log of ``operations``; nothing imports it: its
    gauges join /metrics through ``operations.metrics.register_scrape_collector``, its
    states the operator's console through ``operations.console_facts.register_line_facts``."""

    name = "alerts"
    verbose_name = "Alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alerts.configuration import validate_alert_settings
        from alerts.console_facts import expected_pulls
        from alerts.metrics import ExpectationGauges
        from operations.console_facts import register_line_facts
        from operations.metrics import register_scrape_collector

        # A mistyped channel setting stops the service (and send_alerts) at startup.
        validate_alert_settings()
        register_scrape_collector(ExpectationGauges())
        register_line_facts(expected_pulls)
