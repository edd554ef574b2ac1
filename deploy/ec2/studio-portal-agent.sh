#!/bin/bash
# studio-portal's activity agent on an EC2 workstation: one report to local-studio, run
# every minute by studio-portal-agent.timer (the user data installs both). It reports how
# long the desktop has had no input (X's idle time on DCV's console session, through
# xprintidle), how busy the CPU and, where nvidia-smi exists, the GPU have been, and who
# is connected to the DCV session (the owner's Share dialog shows it).
# AGENT_URL, AGENT_TOKEN and SESSION_ID come from /etc/studio-portal/agent.env (0600).
set -euo pipefail
state=${AGENT_STATE:-/run/studio-portal-agent.cpu}

# Input idle seconds on the console session's display; unknown without xprintidle.
idle_ms=$(DISPLAY=:0 XAUTHORITY="$(ls /run/user/*/dcv/"$SESSION_ID".xauth 2>/dev/null | head -n1)" \
  xprintidle 2>/dev/null || true)
idle_field=""
[[ "$idle_ms" =~ ^[0-9]+$ ]] && idle_field="\"inputIdleSeconds\": $((idle_ms / 1000)),"

# CPU busy share since the last report, from /proc/stat.
read -r _ user nice system idle iowait irq softirq steal _ < /proc/stat
busy=$((user + nice + system + irq + softirq + steal))
total=$((busy + idle + iowait))
cpu=0
if [ -f "$state" ]; then
  read -r last_busy last_total < "$state"
  if [ $((total - last_total)) -gt 0 ]; then
    cpu=$(( (busy - last_busy) * 100 / (total - last_total) ))
  fi
fi
echo "$busy $total" > "$state"

gpu_field=""
if command -v nvidia-smi >/dev/null 2>&1; then
  gpu=$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits | sort -n | tail -n1)
  [[ "$gpu" =~ ^[0-9]+$ ]] && gpu_field=", \"gpuPercent\": $gpu"
fi

# The DCV users connected now, as a JSON list (`dcv list-connections --json`).
users_field=""
users=$(dcv list-connections --json "$SESSION_ID" 2>/dev/null | python3 -c '
import json, sys
listed = json.load(sys.stdin)
connections = listed.get("connections", []) if isinstance(listed, dict) else listed
print(json.dumps(sorted({c.get("user", c.get("username")) for c in connections} - {None})))
' 2>/dev/null) && users_field=", \"connectedUsers\": $users"

curl -fsS --max-time 20 -X POST "$AGENT_URL" \
  -H "Authorization: Bearer $AGENT_TOKEN" -H "Content-Type: application/json" \
  --data "{\"sessionId\": \"$SESSION_ID\", $idle_field \"cpuPercent\": $cpu$gpu_field$users_field}"
