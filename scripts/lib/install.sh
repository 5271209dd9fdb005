# Installs Debian packages on demand. Sourced by the scripts; the project's own scripts install
# what they need, so a fresh machine (and CI) gets the same tools as a developer's.

_apt_updated=""
apt_install() {
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    echo "vaultgate: need root (or sudo) to install: $*" >&2
    return 1
  fi
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ -z "$_apt_updated" ]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    _apt_updated=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# need_cmd COMMAND PACKAGE: installs PACKAGE when COMMAND is not on PATH.
need_cmd() {
  command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}
