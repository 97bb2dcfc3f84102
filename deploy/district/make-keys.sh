#!/bin/sh
# Creates the CURVE key pairs of a district server and its principals file:
# one pair per daemon (its server key, also its client key towards the
# daemons it follows: registered with role subscriber; intake follows no
# one, so it is not registered) and one for hubctl (role operator).
# Existing key files are kept; the principals file gets the lines it lacks.
# As root, when the group "hub" exists, keys and the file become root:hub
# 0640 (the daemons run as the hub user).
# Usage: make-keys.sh [KEYDIR [PRINCIPALS [HUBCTL]]]
#   defaults: /etc/hub/keys, /etc/hub/principals, hubctl from PATH
set -eu
KEYDIR=${1:-/etc/hub/keys}
PRINCIPALS=${2:-/etc/hub/principals}
HUBCTL=${3:-hubctl}
umask 077
mkdir -p "$KEYDIR"
touch "$PRINCIPALS"
for who in intake: matching:subscriber notification:subscriber tendering:subscriber \
           reporting:subscriber hubctl:operator; do
    name=${who%%:*}; role=${who#*:}
    if [ ! -s "$KEYDIR/$name.key" ]; then
        "$HUBCTL" keys gen "$KEYDIR/$name" >/dev/null
    fi
    if [ -n "$role" ] && ! grep -q "^$name " "$PRINCIPALS"; then
        printf '%s %s %s\n' "$name" "$role" "$(head -n 1 "$KEYDIR/$name.pub")" >>"$PRINCIPALS"
    fi
done
if [ "$(id -u)" -eq 0 ] && getent group hub >/dev/null 2>&1; then
    chgrp hub "$KEYDIR" "$KEYDIR"/*.key "$KEYDIR"/*.pub "$PRINCIPALS"
    chmod 0750 "$KEYDIR"
    chmod 0640 "$KEYDIR"/*.key "$KEYDIR"/*.pub "$PRINCIPALS"
fi
echo "make-keys: key pairs in $KEYDIR, principals in $PRINCIPALS"
