#!/bin/bash
# studio-portal user data for an Amazon EC2 workstation running Amazon DCV.
#
# local-studio renders this template for each streaming session (launch profile setting
# ec2.user_data_template) and sends it with RunInstances. It follows AWS's steps for
# installing DCV on Amazon Linux 2023 / RHEL 9 ("Install the Amazon DCV Server on Linux"),
# and is safe to keep in a prepared AMI: every step first checks whether it is done.
#
# User data is readable by anyone with ec2:DescribeInstanceAttribute and by any process on
# the instance (the metadata service), so it holds only one credential, on purpose: the
# activity agent's token, which can do nothing but report that this session is in use
# (anyone at its desktop can do that by using it). Artists authenticate with the one-time
# token in the DCV URL, which DCV sends to local-studio's verifier; the DCV licence comes
# from S3 through the instance role (s3:GetObject on arn:aws:s3:::dcv-license.{{region}}/*).
set -euo pipefail

SESSION_ID="{{session_id}}"
OS_USER="{{os_user}}"
VERIFIER_URL="{{verifier_url}}"
DCV_PORT="{{dcv_port}}"
AGENT_URL="{{agent_url}}"
AGENT_TOKEN="{{agent_token}}"
PERMISSIONS_URL="{{permissions_url}}"
THUMBNAIL_URL="{{thumbnail_url}}"

# The artist's OS user: no password (DCV logs them in through the verifier).
id "$OS_USER" >/dev/null 2>&1 || useradd --create-home "$OS_USER"

# Amazon DCV, unless the AMI already has it.
if ! command -v dcv >/dev/null 2>&1; then
  dnf -y groupinstall "Server with GUI" || dnf -y groupinstall "Desktop"
  rpm --import https://d1uj6qtbmh3dt5.cloudfront.net/NICE-GPG-KEY
  workdir=$(mktemp -d)
  curl -fsSL -o "$workdir/dcv.tgz" https://d1uj6qtbmh3dt5.cloudfront.net/nice-dcv-el9-x86_64.tgz
  tar -xzf "$workdir/dcv.tgz" -C "$workdir"
  dnf -y install "$workdir"/nice-dcv-*/nice-dcv-server-*.rpm \
    "$workdir"/nice-dcv-*/nice-dcv-web-viewer-*.rpm \
    "$workdir"/nice-dcv-*/nice-xdcv-*.rpm
  systemctl set-default graphical.target
fi

# dcv.conf: the verifier, the port, no automatic sessions (the unit below makes ours).
# deploy/ec2/dcv.conf is the same file with comments.
cat > /etc/dcv/dcv.conf <<CONF
[license]

[log]
level="info"

[session-management]
create-session=false

[display]

[connectivity]
web-port=$DCV_PORT

[security]
auth-token-verifier="$VERIFIER_URL"
CONF

# The session's DCV permissions: its owner may use everything, but copy and paste only
# when the launch profile enables the clipboard. DCV enforces this on the server, whatever
# the client does. The permissions watch below rewrites it as the owner shares the
# workstation with colleagues and revokes.
cat > /etc/dcv/studio-portal.perm <<'PERM'
{{permissions}}
PERM

# The console session, named after the streaming session and owned by the artist, made
# again at every boot: a stopped workstation that starts again comes back with it.
cat > /etc/systemd/system/studio-portal-session.service <<UNIT
[Unit]
Description=Amazon DCV console session for studio-portal session $SESSION_ID
After=dcvserver.service graphical.target
Requires=dcvserver.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/dcv create-session --type=console --owner $OS_USER --permissions-file /etc/dcv/studio-portal.perm $SESSION_ID
ExecStop=/usr/bin/dcv close-session $SESSION_ID

[Install]
WantedBy=graphical.target
UNIT

# The agent (deploy/ec2/studio-portal-agent.sh, studio-portal-permissions.sh and
# studio-portal-thumbnails.sh, the same scripts): once a minute it reports input idle
# time, CPU and GPU use and who is connected to local-studio, for idle stop; it keeps the
# session's DCV permissions as local-studio's shares say; and it sends a picture of the
# desktop when a page asks for one.
install -d -m 0700 /etc/studio-portal
umask 077
cat > /etc/studio-portal/agent.env <<ENV
AGENT_URL=$AGENT_URL
AGENT_TOKEN=$AGENT_TOKEN
SESSION_ID=$SESSION_ID
PERMISSIONS_URL=$PERMISSIONS_URL
THUMBNAIL_URL=$THUMBNAIL_URL
ENV
cat > /usr/local/sbin/studio-portal-agent <<'AGENT'
{{agent_script}}
AGENT
chmod 0700 /usr/local/sbin/studio-portal-agent
cat > /usr/local/sbin/studio-portal-permissions <<'PERMISSIONS'
{{permissions_script}}
PERMISSIONS
chmod 0700 /usr/local/sbin/studio-portal-permissions
cat > /usr/local/sbin/studio-portal-thumbnails <<'THUMBNAILS'
{{thumbnails_script}}
THUMBNAILS
chmod 0700 /usr/local/sbin/studio-portal-thumbnails
for watch in permissions thumbnails; do
  cat > /etc/systemd/system/studio-portal-$watch.service <<UNIT
[Unit]
Description=studio-portal $watch for session $SESSION_ID
After=studio-portal-session.service
[Service]
EnvironmentFile=/etc/studio-portal/agent.env
ExecStart=/usr/local/sbin/studio-portal-$watch
Restart=always
RestartSec=5
[Install]
WantedBy=multi-user.target
UNIT
done
cat > /etc/systemd/system/studio-portal-agent.service <<UNIT
[Unit]
Description=studio-portal activity report for session $SESSION_ID
[Service]
Type=oneshot
EnvironmentFile=/etc/studio-portal/agent.env
ExecStart=/usr/local/sbin/studio-portal-agent
UNIT
cat > /etc/systemd/system/studio-portal-agent.timer <<UNIT
[Unit]
Description=studio-portal activity report, every minute
[Timer]
OnBootSec=1min
OnUnitActiveSec=1min
[Install]
WantedBy=timers.target
UNIT

systemctl daemon-reload
systemctl enable dcvserver studio-portal-session
systemctl restart dcvserver
systemctl start studio-portal-session
if [ -n "$AGENT_URL" ]; then
  systemctl enable --now studio-portal-agent.timer studio-portal-permissions.service \
    studio-portal-thumbnails.service
fi
