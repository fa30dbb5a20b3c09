from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and the demo's key for ``bin/demo``: no models, nothing the service needs
    to serve; kept apart so the core package holds only the feed machinery."""

    name = "demo"
    verbose_name = "Demo"
