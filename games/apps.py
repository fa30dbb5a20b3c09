from django.apps import AppConfig


class GamesConfig(AppConfig):
    name = "games"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from feeds import db_triggers
        from games.session_triggers import TRIGGER_SET

        # The session triggers, installed again after a migrate that lost any (a table
        # rebuilt on SQLite).
        db_triggers.register(TRIGGER_SET)
