#!/bin/sh
# Installs a station agent from its token file (made by `cctns pki token --csv stations.csv --out
# tokens/`): enrolls (the key is made here and never leaves), then starts cctns-agent.service.
# Usage: install-station.sh TOKEN_FILE ROOT_PEM BROKER_HOST:PORT
set -eu
token=$1 root=$2 broker=$3
dir=/var/lib/cctns/agent
cctns="/usr/bin/node /opt/cctns/bin/cctns.mjs"
id -u cctns >/dev/null 2>&1 || useradd --system --home-dir /var/lib/cctns --shell /usr/sbin/nologin cctns
install -d -o cctns -g cctns -m 0700 /var/lib/cctns "$dir"
install -o cctns -g cctns -m 0600 "$token" "$dir/enroll.token"
install -o cctns -g cctns -m 0644 "$root" "$dir/root.pem"
runuser -u cctns -- $cctns agent --dir "$dir" enroll --broker "$broker" --root "$dir/root.pem" --token-file "$dir/enroll.token"
# A token is single use: it is of no further value, but there is no reason to keep it.
rm -f "$dir/enroll.token"
install -m 0644 "$(dirname "$0")/systemd/cctns-agent.service" /etc/systemd/system/cctns-agent.service
systemctl daemon-reload
systemctl enable --now cctns-agent.service
