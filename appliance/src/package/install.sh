#!/usr/bin/env bash
# Installs the Vaultgate gateway appliance from this unpacked tarball:
#   - a system user and group 'vaultgate' (no login shell)
#   - @PREFIX (default /opt/vaultgate): the Java runtime, jars and bin/vaultgate, owned by root, read-only to others
#   - /etc/vaultgate (0750 root:vaultgate) with appliance.conf (0640) made from the example if there is none
#   - /var/lib/vaultgate (0750 vaultgate) and its tls/ (0700 vaultgate) for the gateway's key and certificate
#   - the systemd unit vaultgate.service, enabled (not started: edit the config and register first)
# Usage: sudo ./install.sh [--prefix DIR] [--destdir DIR] [--no-systemd]
#   --destdir DIR installs under DIR as the current user, without a user or systemd (for packaging checks).
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
prefix=/opt/vaultgate
etc=/etc/vaultgate
data=/var/lib/vaultgate
destdir=""
systemd=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --destdir) destdir="$2"; systemd=0; shift 2 ;;
    --no-systemd) systemd=0; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (expected --prefix DIR, --destdir DIR or --no-systemd)" >&2; exit 2 ;;
  esac
done

if [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (sudo ./install.sh), or use --destdir DIR for a trial install" >&2
  exit 1
fi

owner=root; group=vaultgate; svc=vaultgate
if [ -n "$destdir" ]; then
  owner=$(id -un); group=$(id -gn); svc=$owner
else
  if ! getent group vaultgate >/dev/null; then groupadd --system vaultgate; fi
  if ! getent passwd vaultgate >/dev/null; then
    useradd --system --gid vaultgate --home-dir "$data" --no-create-home --shell /usr/sbin/nologin \
      --comment "Vaultgate gateway" vaultgate
  fi
fi

P="$destdir$prefix"; E="$destdir$etc"; D="$destdir$data"
install -d -m 0755 -o "$owner" -g "$owner" "$P" "$P/bin" "$P/lib"
rm -rf "$P/runtime" "$P/lib"/*.jar
cp -a "$src/runtime" "$P/runtime"
install -m 0644 -o "$owner" -g "$owner" "$src"/lib/*.jar "$P/lib/"
install -m 0755 -o "$owner" -g "$owner" "$src/bin/vaultgate" "$P/bin/vaultgate"
install -m 0644 -o "$owner" -g "$owner" "$src/README.md" "$src/appliance.conf.example" "$P/"
[ -n "$destdir" ] || chown -R root:root "$P/runtime"

install -d -m 0750 -o "$owner" -g "$group" "$E"
if [ ! -e "$E/appliance.conf" ]; then
  install -m 0640 -o "$owner" -g "$group" "$src/appliance.conf.example" "$E/appliance.conf"
  sed -i "s#\"dataDir\": \"/var/lib/vaultgate\"#\"dataDir\": \"$data\"#" "$E/appliance.conf"
  fresh_config=1
else
  fresh_config=0
fi
install -d -m 0750 -o "$svc" -g "$group" "$D"
install -d -m 0700 -o "$svc" -g "$group" "$D/tls"

unit="$destdir/etc/systemd/system/vaultgate.service"
install -d -m 0755 "$(dirname "$unit")"
sed -e "s#@PREFIX@#$prefix#g" -e "s#@ETC@#$etc#g" -e "s#@DATA@#$data#g" "$src/systemd/vaultgate.service" > "$unit"
chmod 0644 "$unit"
if [ "$systemd" = 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable vaultgate.service
fi

echo "Vaultgate appliance installed in $P."
if [ "$fresh_config" = 1 ]; then
  echo "Next: set a password hash ($prefix/bin/vaultgate hash-password), edit $etc/appliance.conf,"
fi
echo "register ($prefix/bin/vaultgate register --config $etc/appliance.conf --activation-key KEY --coordinator-ca CA.crt),"
echo "then: systemctl start vaultgate   (web UI on the config's webUi.port; health at /health)"
