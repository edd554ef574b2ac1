#!/bin/bash
# studio-portal's thumbnails on an EC2 workstation, kept running by
# studio-portal-thumbnails.service (the user data installs both). It waits at local-studio
# until a page asks for a picture of this workstation (a long poll: 200 when one is
# wanted, 204 after 20 s without), then takes one of DCV's console session, 320 pixels
# across, and sends it. Nothing is taken while nobody looks, and local-studio serves each
# picture for 10 s, so the desktop is pictured at most once every 10 s.
# AGENT_TOKEN, SESSION_ID and THUMBNAIL_URL come from /etc/studio-portal/agent.env (0600).
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
auth="Authorization: Bearer $AGENT_TOKEN"

while true; do
  status=$(curl -sS --max-time 40 -o /dev/null -w '%{http_code}' -H "$auth" \
    "$THUMBNAIL_URL/wanted?sessionId=$SESSION_ID") || status=000
  case "$status" in
    200)
      rm -f "$work/shot.jpeg"
      if dcv get-screenshot --max-width 320 --max-height 320 --format JPEG \
        --output "$work/shot.jpeg" "$SESSION_ID"; then
        curl -sS --max-time 20 -o /dev/null -X PUT -H "$auth" -H "Content-Type: image/jpeg" \
          --data-binary @"$work/shot.jpeg" "$THUMBNAIL_URL?sessionId=$SESSION_ID" || sleep 2
      else
        sleep 2
      fi
      ;;
    204) ;;
    *) sleep 2 ;;
  esac
done
