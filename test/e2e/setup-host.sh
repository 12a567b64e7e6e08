#!/bin/sh
# One-time host setup for the e2e tests with the real Debian Mender tools (run as root; CI runs it).
# The client hard-codes two paths (docs/compat/mender-clients.md#paths): the identity script and
# /etc/mender/artifact_info. The identity script prints one key=value line per identity
# attribute, taken from the environment so each simulated device can have its own identity:
#   MENDER_ID_MAC (default de:ad:be:ef:00:01), MENDER_ID_SERIAL (optional, as "serialnumber"),
#   MENDER_ID_EXTRA (optional, extra raw key=value lines separated by newlines).
set -eu
export DEBIAN_FRONTEND=noninteractive
need=""
for t in mender mender-artifact mender-cli openssl; do command -v "$t" >/dev/null 2>&1 || need=1; done
if [ -n "$need" ]; then
  apt-get update -qq
  apt-get install -y -qq mender-client mender-artifact mender-cli openssl >/dev/null
fi
mkdir -p /etc/mender /usr/share/mender/identity
cat > /usr/share/mender/identity/mender-device-identity <<'EOS'
#!/bin/sh
echo "mac=${MENDER_ID_MAC:-de:ad:be:ef:00:01}"
[ -n "${MENDER_ID_SERIAL:-}" ] && echo "serialnumber=$MENDER_ID_SERIAL"
[ -n "${MENDER_ID_EXTRA:-}" ] && printf '%s\n' "$MENDER_ID_EXTRA"
exit 0
EOS
chmod 755 /usr/share/mender/identity/mender-device-identity
[ -f /etc/mender/artifact_info ] || echo "artifact_name=release-1" > /etc/mender/artifact_info
echo "mender host setup done: $(mender --version 2>/dev/null | head -1)"
