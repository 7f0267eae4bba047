#!/usr/bin/env bash
# The one place Debian packages are installed, for CI (.ci/run) and developers alike (the
# tests and the e2e set-up call it on first use). Usage: scripts/system-packages.sh NAME…
# where NAME is one of: redis (redis-server), chromium, ripgrep, build (what code-server's
# native parts compile with). Installs only what is missing, without recommended extras,
# never upgrading an installed package, quietly; prints nothing when all is there.
set -euo pipefail

missing=()
for name in "$@"; do
  case "$name" in
    redis) command -v redis-server >/dev/null || missing+=(redis-server) ;;
    chromium) command -v chromium >/dev/null || missing+=(chromium) ;;
    ripgrep) command -v rg >/dev/null || missing+=(ripgrep) ;;
    build)
      [ -e /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
      command -v g++ >/dev/null || missing+=(g++ make)
      command -v python3 >/dev/null || missing+=(python3)
      command -v pkg-config >/dev/null || missing+=(pkg-config)
      ;;
    *) echo "system-packages: unknown name '$name' (redis, chromium, ripgrep, build)" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system-packages: installing ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# dpkg talks even under -qq: its output goes to a log, shown only when the install fails.
# The lock timeout serialises concurrent callers (parallel test files) on apt's own lock.
log=$(mktemp)
if ! { $SUDO apt-get update -qq -o DPkg::Lock::Timeout=300 &&
  $SUDO apt-get install -y -qq --no-install-recommends --no-upgrade -o DPkg::Lock::Timeout=300 "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
