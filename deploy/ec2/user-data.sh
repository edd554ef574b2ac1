#!/bin/bash
# studio-portal user data for an Amazon EC2 workstation running Amazon DCV.
#
# local-studio renders this template for each streaming session (launch profile setting
# ec2.user_data_template) and sends it with RunInstances. It follows AWS's steps for
# installing DCV on Amazon Linux 2023 / RHEL 9 ("Install the Amazon DCV Server on Linux"),
# and is safe to keep in a prepared AMI: every step first checks whether it is done.
#
# It holds no secret, on purpose: user data is readable by anyone with
# ec2:DescribeInstanceAttribute and by any process on the instance (the metadata
# service). Artists authenticate with the one-time token in the DCV URL, which DCV sends
# to local-studio's verifier; the DCV licence comes from S3 through the instance role
# (s3:GetObject on arn:aws:s3:::dcv-license.{{region}}/*).
set -euo pipefail

SESSION_ID="{{session_id}}"
OS_USER="{{os_user}}"
VERIFIER_URL="{{verifier_url}}"
DCV_PORT="{{dcv_port}}"

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
ExecStart=/usr/bin/dcv create-session --type=console --owner $OS_USER $SESSION_ID
ExecStop=/usr/bin/dcv close-session $SESSION_ID

[Install]
WantedBy=graphical.target
UNIT

systemctl daemon-reload
systemctl enable dcvserver studio-portal-session
systemctl restart dcvserver
systemctl start studio-portal-session
