#!/bin/bash
# studio-portal's DCV permissions watch on an EC2 workstation, kept running by
# studio-portal-permissions.service (the user data installs both). It asks local-studio
# for the session's DCV permissions file and waits there until the file changes: a long
# poll, answered at once when the owner shares or revokes and when a share runs out, or
# with 304 Not Modified after 20 s. Each new file is written and applied to the running
# session with `dcv set-permissions` (so a colleague's keys stop as soon as they may no
# longer use them), and anyone it no longer names is disconnected.
# AGENT_TOKEN, SESSION_ID and PERMISSIONS_URL come from /etc/studio-portal/agent.env (0600).
set -uo pipefail
file=${PERMISSIONS_FILE:-/etc/dcv/studio-portal.perm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
etag=""

# The plain users a permissions file names (not %owner%, a group or the section header).
users() { awk 'NF >= 3 && $1 !~ /^[%[]/ && $1 !~ /:/ {print $1}' "$1" 2>/dev/null | sort -u; }

# Closes every connection of user $1 to the session (`dcv list-connections --json`).
disconnect() {
  dcv list-connections --json "$SESSION_ID" | python3 -c '
import json, sys
listed = json.load(sys.stdin)
for c in listed.get("connections", []) if isinstance(listed, dict) else listed:
    if c.get("user", c.get("username")) == sys.argv[1]:
        print(c.get("id", c.get("connection-id")))
' "$1" | while read -r id; do
    dcv close-connection --session "$SESSION_ID" "$id"
  done
}

while true; do
  status=$(curl -sS --max-time 40 -o "$work/body" -D "$work/headers" -w '%{http_code}' \
    -H "Authorization: Bearer $AGENT_TOKEN" ${etag:+-H "If-None-Match: $etag"} \
    "$PERMISSIONS_URL?sessionId=$SESSION_ID") || status=000
  case "$status" in
    200)
      users "$file" > "$work/before"
      install -m 0644 "$work/body" "$file.new" && mv "$file.new" "$file"
      if dcv set-permissions --session "$SESSION_ID" --file "$file"; then
        users "$file" > "$work/after"
        for gone in $(comm -23 "$work/before" "$work/after"); do
          disconnect "$gone"
        done
        etag=$(tr -d '\r' < "$work/headers" | awk 'tolower($1) == "etag:" {print $2}')
      else
        sleep 2
      fi
      ;;
    304) ;;
    *) sleep 2 ;;
  esac
done
