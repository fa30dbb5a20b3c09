import re

from django.core.exceptions import ValidationError
from django.db import models

from feeds.columns import CUSTOM_KINDS
from feeds.model_fields import ID_LENGTH, external_id, loose_reference, optional_text
from feeds.stamping import StampedModel
from players.users_columns import USERS_STANDARD_COLUMNS


class Player(StampedModel):
    id = external_id("ID", primary_key=True)
    first_name = optional_text()
    last_name = optional_text()
    gender = optional_text()
    country = optional_text()
    city = optional_text()
    ip = optional_text("IP address")
    birthday = models.DateField(null=True, blank=True)
    registered_at = models.DateTimeField()
    ref_code = optional_text()
    traffic_source = optional_text()
    user_agent = optional_text()
    modified_at = models.DateTimeField()
    is_blocked = models.BooleanField(null=True, blank=True)
    self_excluded = models.BooleanField(null=True, blank=True)
    locale = optional_text()
    # Values of the operator's custom fields, by field name, in their canonical written
    # form (see CustomField). Kept on the row so that a change moves modified_at.
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["modified_at", "id"], name="player_window")]

    def __str__(self) -> str:
        name = " ".join(filter(None, [self.first_name, self.last_name]))
        return f"{self.id} {name}".strip()


class Contact(StampedModel):
    player = models.OneToOneField(
        Player,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="contact",
    )
    email = optional_text()
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    email_subscribe = models.BooleanField(null=True, blank=True)
    phone = optional_text()
    phone_subscribe = models.BooleanField(null=True, blank=True)
    phone_confirmed_at = models.DateTimeField(null=True, blank=True)
    push_token = optional_text()
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["modified_at", "player"], name="contact_window")]

    def __str__(self) -> str:
        return f"contacts of {self.player_id}"


class Login(StampedModel):
    window_field = "created_at"

    id = external_id("ID", primary_key=True)
    player = loose_reference(Player, related_name="logins")
    ip = optional_text("IP address")
    created_at = models.DateTimeField()
    ref_code = optional_text()
    traffic_source = optional_text()
    user_agent = optional_text()
    host = optional_text()
    is_success = models.BooleanField(null=True, blank=True)
    fail_reason = optional_text()

    class Meta:
        indexes = [models.Index(fields=["created_at", "id"], name="login_window")]

    def __str__(self) -> str:
        return f"login {self.id} of {self.player_id}"


# The whole name, matched with fullmatch: a "$" anchor would let a final line break through.
CUSTOM_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def validate_custom_field_name(name: str) -> None:
    if not CUSTOM_FIELD_NAME.fullmatch(name) or len(name) > ID_LENGTH:
        raise ValidationError(
            f"{name!r} is not a valid field name: use letters, digits and _, "
            f"not starting with a digit, at most {ID_LENGTH} characters"
        )
    # Case-insensitively: consumers that fold case would see two columns as one.
    clash = next((column for column in USERS_STANDARD_COLUMNS if column.lower() == name.lower()), None)
    if clash:
        raise ValidationError(f"{name!r} clashes with the standard users column {clash!r}")


class CustomField(models.Model):
    """An operator-defined player attribute, served as one more column of ``users``."""

    TYPES = [(name, name) for name in CUSTOM_KINDS]

    name = models.CharField(max_length=ID_LENGTH, unique=True, validators=[validate_custom_field_name])
    type = models.CharField(max_length=16, choices=TYPES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"

    def clean(self) -> None:
        others = CustomField.objects.filter(name__iexact=self.name).exclude(pk=self.pk)
        if others.exists():
            raise ValidationError({"name": f"{self.name!r} clashes with the custom field {others.first().name!r}"})
