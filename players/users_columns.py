"""The standard columns of the ``users`` feed.

Their own module because two sides need them: the feed (``feeds.py``) serves them, and the
custom-field rule (``models.py``) refuses a name that clashes with one. ``feeds.py`` imports
the models, so the models cannot import ``feeds.py``; both import this module instead,
which imports neither.
"""

from feeds import columns as k
from feeds.registry import Column

USERS_COLUMNS = (
    Column("id", k.ID, required=True),
    Column("first_name"),
    Column("last_name"),
    Column("gender"),
    Column("country"),
    Column("city"),
    Column("ip"),
    Column("birthday", k.DATE),
    Column("registered_at", k.TIMESTAMP, required=True),
    Column("ref_code"),
    Column("traffic_source"),
    Column("user_agent"),
    Column("modified_at", k.TIMESTAMP, required=True),
    Column("is_blocked", k.FLAG_WORD),
    Column("self_excluded", k.FLAG_WORD),
    Column("locale"),
)
USERS_STANDARD_COLUMNS = frozenset(column.name for column in USERS_COLUMNS)
