from django.apps import AppConfig


class SportsConfig(AppConfig):
    name = "sports"
    default_auto_field = "django.db.models.BigAutoField"
