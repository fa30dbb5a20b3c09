#!/bin/sh
# intarget-export feeds with the Singer tap tap-rest-api-msdk 1.4.2, losing no row
# (docs/clients.md). One run asks every feed for the window [from, to), from the end of
# the last window this script completed (the file $STATE_FILE) to the last whole second,
# and pipes the records to a Singer target ($TARGET; its upsert key is each stream's
# primary key). Only after the tap and the target both succeed is the window end saved,
# so a failed run asks the same window again.
#
#   INTARGET_URL=https://export.example.com INTARGET_KEY=… INTARGET_START="2026-01-01 00:00:00" \
#       TARGET="target-duckdb --config target.json" sh singer-windows.sh
#
# The tap's own bookmark is never used: its replication_key would keep the largest
# updated_at, which skips game sessions (their updated_at may lie after the window).
set -eu
STATE_FILE=${STATE_FILE:-intarget-window-end}
TARGET=${TARGET:-cat}
from=$(cat "$STATE_FILE" 2>/dev/null || echo "$INTARGET_START")
to=$(date -u +"%Y-%m-%d %H:%M:%S")
config=$(mktemp)
trap 'rm -f "$config"' EXIT
stream() {  # name, primary key
    printf '{"name": "%s", "path": "/api/%s", "primary_keys": ["%s"], "records_path": "$[*]",
      "params": {"from": "%s", "to": "%s", "format": "json", "money": "string"}}' "$1" "$1" "$2" "$from" "$to"
}
cat > "$config" <<JSON
{"api_url": "$INTARGET_URL", "auth_method": "bearer_token", "bearer_token": "$INTARGET_KEY",
 "backoff_type": "header", "backoff_param": "Retry-After",
 "streams": [$(stream games session_id), $(stream transactions id), $(stream users id)]}
JSON
# 503 (rows in flight, database busy) and 429 are retried by the tap after Retry-After;
# a 425 (a window not yet ended: a clock ahead of the service's) fails the run, which
# the next run repeats.
tap-rest-api-msdk --config "$config" | $TARGET
echo "$to" > "$STATE_FILE"
