from django.db.models.fields.json import KeyTextTransform

from feeds import columns as k
from feeds.registry import Column, Feed
from players.models import Contact, CustomField, Login, Player
from players.users_columns import USERS_COLUMNS


def custom_columns() -> list[Column]:
    """One column per defined custom field, in the order they were defined."""
    return [
        Column(
            field.name,
            k.CUSTOM_KINDS[field.type],
            source=KeyTextTransform(field.name, "custom"),
            custom_field=True,
        )
        for field in CustomField.objects.order_by("id")
    ]


FEEDS = (
    Feed(
        name="users",
        model=Player,
        columns=USERS_COLUMNS,
        window_field="modified_at",
        extra_columns=custom_columns,
    ),
    Feed(
        name="contacts",
        model=Contact,
        id_field="player_id",
        window_field="modified_at",
        columns=(
            Column("player_id", k.ID, required=True),
            Column("email"),
            Column("email_confirmed_at", k.TIMESTAMP),
            Column("email_subscribe", k.FLAG_WORD),
            Column("phone"),
            Column("phone_subscribe", k.FLAG_WORD),
            Column("phone_confirmed_at", k.TIMESTAMP),
            Column("push_token"),
            Column("created_at", k.TIMESTAMP, required=True),
            Column("modified_at", k.TIMESTAMP, required=True),
        ),
    ),
    Feed(
        name="logins",
        model=Login,
        window_field="created_at",
        columns=(
            Column("id", k.ID, required=True),
            Column("player_id", k.ID, required=True),
            Column("ip"),
            Column("created_at", k.TIMESTAMP, required=True),
            Column("ref_code"),
            Column("traffic_source"),
            Column("user_agent"),
            Column("host"),
            Column("is_success", k.FLAG_DIGIT),
            Column("fail_reason"),
        ),
    ),
)
