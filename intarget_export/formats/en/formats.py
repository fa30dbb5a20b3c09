"""Times everywhere else Django writes them (read-only fields, history, the pull log's
view page) as the API writes them: ``2026-12-01 19:50:07 UTC``. Every time is UTC
(settings.TIME_ZONE), so the zone is written as text. Input formats stay Django's."""

DATETIME_FORMAT = r"Y-m-d H:i:s \U\T\C"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
