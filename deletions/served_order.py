"""The tombstones' index in the order the deletions feed serves them: (deleted_at as
served, feed, row_id) (feeds/served_second.py; made by migration 0004). It holds the
stored deleted_at too, last, so that a window is read from the index alone, as the
(deleted_at, feed, row_id) index read it before (an index-only scan)."""

from feeds.served_second import installer

INDEX = "tombstone_served"

install, uninstall = installer("deletions_tombstone", "deleted_at", ("feed", "row_id", "deleted_at"), INDEX)
