#!/usr/bin/env bash
# Installs the Vaultgate gateway appliance from this unpacked tarball:
#   - a system user and group 'vaultgate' (no login shell, home /var/lib/vaultgate)
#   - PREFIX (default /opt/vaultgate): the Java runtime, jars and bin/vaultgate, owned by root, read-only to others
#   - /etc/vaultgate (0750 root:vaultgate) with appliance.conf (0640 root:vaultgate) made from the example if there is none
#   - /var/lib/vaultgate (0750 vaultgate:vaultgate) and its tls/ (0700) for the gateway's key and certificate
#   - the systemd unit vaultgate.service (0644 root), enabled (not started: edit the config and register first)
# Run again to upgrade: the runtime and jars are replaced, an existing appliance.conf is kept.
# Usage: sudo ./install.sh [--prefix DIR] [--root DIR | --destdir DIR] [--no-systemd]
#   --root DIR    installs into the image root DIR (offline, for image builders): the user and group go into
#                 DIR/etc/passwd and DIR/etc/group (useradd --root), files are owned by their ids there, and the
#                 unit is enabled with systemctl --root. Nothing of the running host changes.
#   --destdir DIR installs under DIR as the current user, without a user or systemd (for packaging checks).
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
prefix=/opt/vaultgate
etc=/etc/vaultgate
data=/var/lib/vaultgate
destdir=""
root=""
systemd=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --destdir) destdir="$2"; systemd=0; shift 2 ;;
    --root) root="$2"; shift 2 ;;
    --no-systemd) systemd=0; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (expected --prefix DIR, --root DIR, --destdir DIR or --no-systemd)" >&2; exit 2 ;;
  esac
done

if [ -n "$root" ] && [ -n "$destdir" ]; then
  echo "install.sh: --root and --destdir exclude each other (--root: an image root with its own users; --destdir: a trial as yourself)" >&2
  exit 2
fi
if [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (sudo ./install.sh), or use --destdir DIR for a trial install" >&2
  exit 1
fi

# The id of NAME in an image root's passwd or group file (field 3), empty when NAME is not there.
id_in() { awk -F: -v name="$2" '$1 == name { print $3; exit }' "$1"; }

# owner: of the program files and /etc/vaultgate; admin: the program files' group; group/svc: the service's.
owner=root; admin=root; group=vaultgate; svc=vaultgate
if [ -n "$destdir" ]; then
  owner=$(id -un); admin=$(id -gn); group=$admin; svc=$owner
elif [ -n "$root" ]; then
  [ -d "$root" ] || { echo "install.sh: --root $root: no such directory" >&2; exit 1; }
  root="$(cd "$root" && pwd)"
  for f in passwd group; do
    [ -f "$root/etc/$f" ] || { echo "install.sh: --root $root: $root/etc/$f is missing (an image root holds its own users)" >&2; exit 1; }
  done
  # useradd/groupadd --root chroot into the image root and edit its files (and use its login.defs for the id range).
  [ -n "$(id_in "$root/etc/group" vaultgate)" ] || groupadd --root "$root" --system vaultgate
  if [ -z "$(id_in "$root/etc/passwd" vaultgate)" ]; then
    useradd --root "$root" --system --gid vaultgate --home-dir "$data" --no-create-home --shell /usr/sbin/nologin \
      --comment "Vaultgate gateway" vaultgate
  fi
  # Numeric ids: the names mean the image's users, which the host's name service does not know.
  owner=0; admin=0; group=$(id_in "$root/etc/group" vaultgate); svc=$(id_in "$root/etc/passwd" vaultgate)
else
  if ! getent group vaultgate >/dev/null; then groupadd --system vaultgate; fi
  if ! getent passwd vaultgate >/dev/null; then
    useradd --system --gid vaultgate --home-dir "$data" --no-create-home --shell /usr/sbin/nologin \
      --comment "Vaultgate gateway" vaultgate
  fi
fi

base="$destdir$root"
P="$base$prefix"; E="$base$etc"; D="$base$data"
install -d -m 0755 -o "$owner" -g "$admin" "$P" "$P/bin" "$P/lib"
rm -rf "$P/runtime" "$P/lib"/*.jar
cp -a "$src/runtime" "$P/runtime"
install -m 0644 -o "$owner" -g "$admin" "$src"/lib/*.jar "$P/lib/"
install -m 0755 -o "$owner" -g "$admin" "$src/bin/vaultgate" "$P/bin/vaultgate"
install -m 0644 -o "$owner" -g "$admin" "$src/README.md" "$src/appliance.conf.example" "$P/"
[ -n "$destdir" ] || chown -R "$owner:$admin" "$P/runtime"

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

unit="$base/etc/systemd/system/vaultgate.service"
install -d -m 0755 "$(dirname "$unit")"
sed -e "s#@PREFIX@#$prefix#g" -e "s#@ETC@#$etc#g" -e "s#@DATA@#$data#g" "$src/systemd/vaultgate.service" > "$unit"
chmod 0644 "$unit"
if [ "$systemd" = 1 ] && [ -n "$root" ]; then
  # Offline: systemctl --root only writes the [Install] symlinks; without systemctl, the same link by hand.
  if command -v systemctl >/dev/null; then
    systemctl --root="$root" --quiet enable vaultgate.service
  else
    install -d -m 0755 "$root/etc/systemd/system/multi-user.target.wants"
    ln -sfn /etc/systemd/system/vaultgate.service "$root/etc/systemd/system/multi-user.target.wants/vaultgate.service"
  fi
elif [ "$systemd" = 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable vaultgate.service
fi

echo "Vaultgate appliance installed in $P."
if [ "$fresh_config" = 1 ]; then
  echo "Next: set a password hash ($prefix/bin/vaultgate hash-password), edit $etc/appliance.conf,"
fi
echo "register ($prefix/bin/vaultgate register --config $etc/appliance.conf --activation-key KEY --coordinator-ca CA.crt),"
echo "then: systemctl start vaultgate   (web UI on the config's webUi.port; health at /health)"
