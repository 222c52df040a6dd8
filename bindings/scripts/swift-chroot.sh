#!/usr/bin/env bash
# Builds (once) a Debian 13 chroot with Swift 6 (`swiftlang`) under <repo>/.cache/swift-chroot,
# as ../shared/TOOLCHAINS.md describes. Reused when the marker file exists.
# Usage: swift-chroot.sh ensure            -> builds if missing, prints the chroot dir
#        swift-chroot.sh run 'shell cmd'   -> runs a command inside (mounts proc, /dev, tmpfs /tmp; always unmounts)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CHROOT="${SWIFT_CHROOT:-$REPO/.cache/swift-chroot}"
MARKER="$CHROOT/.changkaixin-swift-ready"

ensure() {
  if [[ -f "$MARKER" ]]; then return 0; fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq debootstrap >/dev/null
  fi
  local t0=$SECONDS
  # A half-built chroot from an interrupted run is removed first (never while anything is mounted in it).
  if [[ -d "$CHROOT" ]]; then
    if grep -q " $CHROOT/" /proc/mounts; then echo "swift-chroot: $CHROOT has mounts, refusing to delete" >&2; exit 1; fi
    rm -rf "$CHROOT"
  fi
  mkdir -p "$(dirname "$CHROOT")"
  debootstrap --variant=minbase trixie "$CHROOT" >"$(dirname "$CHROOT")/debootstrap.log" 2>&1 \
    || { tail -30 "$(dirname "$CHROOT")/debootstrap.log" >&2; exit 1; }
  echo "swift-chroot: debootstrap took $((SECONDS - t0)) s" >&2
  local t1=$SECONDS
  cp /etc/resolv.conf "$CHROOT/etc/resolv.conf" 2>/dev/null || true
  with_mounts chroot "$CHROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    bash -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends swiftlang libc6-dev libstdc++-14-dev >/dev/null && apt-get clean'
  echo "swift-chroot: swiftlang install took $((SECONDS - t1)) s" >&2
  touch "$MARKER"
}

# Runs "$@" with proc, /dev and a tmpfs on /tmp mounted in the chroot; the trap undoes every mount that was made.
with_mounts() {
  local mounted=()
  cleanup() {
    local i
    for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  }
  trap cleanup EXIT INT TERM
  mkdir -p "$CHROOT/proc" "$CHROOT/dev" "$CHROOT/tmp"
  mount -t proc proc "$CHROOT/proc" && mounted+=("$CHROOT/proc")
  mount --bind /dev "$CHROOT/dev" && mounted+=("$CHROOT/dev")
  mount -t tmpfs tmpfs "$CHROOT/tmp" && mounted+=("$CHROOT/tmp")
  local rc=0
  "$@" || rc=$?
  cleanup
  trap - EXIT INT TERM
  return $rc
}

case "${1:-ensure}" in
  ensure) ensure; echo "$CHROOT" ;;
  run) shift; ensure
       with_mounts chroot "$CHROOT" /usr/bin/env -i HOME=/root PATH=/usr/libexec/swift/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         bash -c "$1" ;;
  *) echo "usage: $0 ensure | run 'cmd'" >&2; exit 2 ;;
esac
