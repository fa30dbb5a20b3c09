from django.db import models


class Erasure(models.Model):
    """Who erased which player's personal data, when, and what it changed.

    It holds no erased value: only the player's id and, per table, how many rows and
    which columns were blanked. Written by ``services.player_erase`` alone; the admin
    shows it read-only.
    """

    class Via(models.TextChoices):
        COMMAND = "command", "erase_player command"
        ADMIN = "admin", "admin action"

    player_id = models.CharField(max_length=64, db_index=True)
    erased_at = models.DateTimeField(db_index=True)
    # The admin user, or the OS user (or --operator) of the command.
    operator = models.CharField(max_length=150)
    via = models.CharField(max_length=16, choices=Via.choices)
    # [{"feed", "table", "rows", "fields", ...}], in PERSONAL's order: a list, because
    # PostgreSQL's jsonb does not keep the keys of an object in order.
    changes = models.JSONField(default=list)

    class Meta:
        ordering = ["-erased_at", "-id"]
        # Only viewed: an erasure is made through the service, never edited or deleted.
        default_permissions = ("view",)
        permissions = [("erase_player", "Can erase a player's personal data")]

    def __str__(self) -> str:
        return f"erasure of player {self.player_id}"

    @property
    def rows_changed(self) -> int:
        return sum(change["rows"] for change in self.changes)

    def describe(self) -> list[str]:
        """What the erasure changed, one line per table (the command prints these)."""
        lines = []
        for change in self.changes:
            rows = change["rows"]
            line = f"{change['feed']} ({change['table']}): {rows} row{'' if rows == 1 else 's'}"
            if change["fields"]:
                line += ": " + ", ".join(change["fields"])
            if change.get("sessions"):
                line += f"; {change['sessions']} games session(s) served again"
            lines.append(line)
        return lines
