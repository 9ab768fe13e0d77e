#!/usr/bin/env bash
# Proves the README on a pristine Debian: builds (once, cached) a minbase root file system with
# debootstrap, copies it, clones this repo (its committed HEAD) and ../shared into the copy, and runs
# the README's commands there, in the copy's own mount, PID and network namespaces. The copy reaches
# only Debian's mirror and the npm registry, through a veth pair NATed by the host; every rule,
# link and namespace added on the host is removed on exit, also on failure or Ctrl-C.
#
#   sudo scripts/fresh-debian.sh bookworm|trixie setup|start|test
#
#   setup  README "Prerequisites" (Node.js for that Debian) + "Try it" install + npm ci, then
#          `npm run netcheck -- help`; on bookworm first shows npm ci refused under Debian's Node 18
#   start  setup, then `npm start`: waits for the local console on 127.0.0.1:3000, sends SIGINT
#          (Ctrl-C) to its process group and checks that nothing it started is left
#   test   `CI=true bash .ci/run` on the pristine system (CI's own install path, then npm test)
#
# Environment: NETCHECK_ROOTFS_CACHE (default /var/cache/netcheck/rootfs), NETCHECK_FRESH_DIR
# (work copies and logs, default /var/tmp/netcheck-fresh), NETCHECK_SHARED (default ../shared),
# KEEP=1 keeps the work copy, STEP_TIMEOUT (seconds, default 3600), PIN_CPU=N runs everything in
# the fresh system on CPU N (a workaround for the lab's EINVAL from `unshare --mount=FILE` on Linux
# 6.18, where mount-namespace ids are handed out per CPU: see docs/fresh-debian.md).
set -euo pipefail

usage() { echo "usage: sudo $0 bookworm|trixie setup|start|test" >&2; exit 2; }
[ $# -eq 2 ] || usage
suite=$1 step=$2
case $suite in bookworm | trixie) ;; *) usage ;; esac
case $step in setup | start | test) ;; *) usage ;; esac
[ "$(id -u)" -eq 0 ] || { echo "fresh-debian: run as root (sudo): it uses namespaces, veth and iptables" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here/.." rev-parse --show-toplevel)
shared=${NETCHECK_SHARED:-$repo/../shared}
cache=${NETCHECK_ROOTFS_CACHE:-/var/cache/netcheck/rootfs}
base=${NETCHECK_FRESH_DIR:-/var/tmp/netcheck-fresh}
step_timeout=${STEP_TIMEOUT:-3600}
[ -f "$shared/DESIGN.md" ] || { echo "fresh-debian: no shared/ beside the repo ($shared); set NETCHECK_SHARED" >&2; exit 2; }

id=$$
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$base/$suite-$step-$id
root=$work/root
mkdir -p "$base/logs" "$work"
log=$base/logs/$suite-$step-$stamp.log
exec > >(tee "$log") 2>&1
t0=$(date +%s)
say() { printf '[fresh-debian %4ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
say "suite=$suite step=$step repo=$repo@$(git -C "$repo" rev-parse --short HEAD) log=$log"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  say "note: the repo has uncommitted changes; only its committed HEAD is tested"
fi

export DEBIAN_FRONTEND=noninteractive
for tool in debootstrap iptables ip unshare nsenter pivot_root getent; do
  command -v "$tool" >/dev/null && continue
  say "installing the host tools this script needs"
  apt-get update -q && apt-get install -y -q debootstrap iptables iproute2 util-linux
  break
done

# --- 1. the pristine root file system, built once per suite --------------------------------------
if [ ! -f "$cache/$suite/.netcheck-rootfs" ]; then
  say "building $cache/$suite: debootstrap --variant=minbase $suite (Debian's default mirror)"
  mkdir -p "$cache"
  rm -rf "${cache:?}/$suite.partial" "${cache:?}/$suite"
  b0=$(date +%s)
  debootstrap --variant=minbase "$suite" "$cache/$suite.partial"
  mv "$cache/$suite.partial" "$cache/$suite"
  echo "built $(date -u +%FT%TZ) in $(($(date +%s) - b0))s by debootstrap --variant=minbase $suite" >"$cache/$suite/.netcheck-rootfs"
fi
say "rootfs: $(cat "$cache/$suite/.netcheck-rootfs")"

# --- cleanup: whatever was added on the host goes, whatever happened ------------------------------
ns=ncfresh-$id
vh=ncf${id}h
vc=ncf${id}c
chain=NCFRESH-$id
child=
# ip_forward as it was before the first of any concurrent runs: the first one in notes it, the last
# one out puts it back.
forward_file=/run/netcheck-fresh.ip_forward
if ! ip -o link show | grep -q ': ncf[0-9]*h[@:]' || [ ! -f "$forward_file" ]; then
  cat /proc/sys/net/ipv4/ip_forward >"$forward_file"
fi
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null # unshare --kill-child: the namespace's PID 1 goes, and with it everything in it
    sleep 2
    kill -KILL "$child" 2>/dev/null
  fi
  iptables -D INPUT -i "$vh" -j DROP 2>/dev/null
  iptables -D FORWARD -i "$vh" -j "$chain" 2>/dev/null
  iptables -D FORWARD -o "$vh" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT 2>/dev/null
  iptables -D FORWARD -o "$vh" -j DROP 2>/dev/null
  iptables -F "$chain" 2>/dev/null && iptables -X "$chain" 2>/dev/null
  iptables -t nat -D POSTROUTING -s "$cip/32" -j "$chain" 2>/dev/null
  iptables -t nat -F "$chain" 2>/dev/null && iptables -t nat -X "$chain" 2>/dev/null
  ip link del "$vh" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  # ip_forward back as it was, unless another run of this script still needs it
  if ! ip -o link show | grep -q ': ncf[0-9]*h[@:]' && [ -f "$forward_file" ]; then
    cat "$forward_file" >/proc/sys/net/ipv4/ip_forward && rm -f "$forward_file"
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    say "kept $work"
  elif findmnt -rn -o TARGET | grep -qF "$root"; then
    say "not removing $work: something is still mounted under it"
  else
    rm -rf "$work"
  fi
  left=$(($(iptables-save | grep -c -- "$chain") + $(ip -o link show | grep -c "$vh") + $(ip netns list | grep -c "$ns")))
  say "host cleanup: $left leftover rules/links/netns (want 0), ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
  say "exit $rc after $(($(date +%s) - t0))s"
  exit "$rc"
}
cip=
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 2. the work copy, the repo and shared/ ---------------------------------------------------------
say "copying the rootfs to $root"
cp -a "$cache/$suite" "$root"
mkdir -p "$root/work"
git clone -q --no-checkout "$repo" "$root/work/netcheck"
git -C "$root/work/netcheck" checkout -q --detach "$(git -C "$repo" rev-parse HEAD)"
cp -a "$shared" "$root/work/shared"
mirror=$(awk '$1 == "deb" { print $2; exit }' "$root/etc/apt/sources.list")
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
EOF

# Names resolve from /etc/hosts only: the registries' addresses as the host sees them now.
npm_registry=${NPM_REGISTRY:-$(npm config get registry 2>/dev/null || true)}
[ -n "$npm_registry" ] || { say "no npm registry known: set NPM_REGISTRY"; exit 2; }
hosts=("$(echo "$mirror" | sed -E 's#^[a-z]+://([^/:]+).*#\1#')" "$(echo "$npm_registry" | sed -E 's#^[a-z]+://([^/:]+).*#\1#')")
addrs=()
{
  echo "127.0.0.1 localhost"
  echo "::1 localhost ip6-localhost ip6-loopback"
  for h in "${hosts[@]}"; do
    for a in $(getent ahostsv4 "$h" | awk '{ print $1 }' | sort -u); do
      echo "$a $h"
      addrs+=("$a")
    done
  done
} >"$root/etc/hosts"
mapfile -t addrs < <(printf '%s\n' "${addrs[@]}" | sort -u) # one proxy may serve both
[ ${#addrs[@]} -gt 0 ] || { say "could not resolve ${hosts[*]}"; exit 1; }
echo "# no DNS: the registries are in /etc/hosts (scripts/fresh-debian.sh)" >"$root/etc/resolv.conf"
echo "fresh-$suite" >"$root/etc/hostname"
# A host behind a TLS-inspecting egress proxy trusts its CA through /usr/local/share/ca-certificates;
# without it, npm in the copy fails with SELF_SIGNED_CERT_IN_CHAIN. That CA (and only what the host
# added there) is handed to Node.js in the copy as NODE_EXTRA_CA_CERTS; a plain Debian host adds none.
extra_ca=${NETCHECK_FRESH_EXTRA_CA:-}
if [ -z "$extra_ca" ] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  extra_ca=$(ls /usr/local/share/ca-certificates/*.crt)
fi
if [ -n "$extra_ca" ]; then
  # shellcheck disable=SC2086  # a list of files
  cat $extra_ca >"$root/etc/netcheck-fresh-extra-ca.pem"
  say "extra CA for Node.js in the copy (the host's own additions): ${extra_ca//$'\n'/ }"
fi

# --- 3. the network: a veth pair, routes to the registries only, NAT for them only ----------------
octet=$((id % 200 + 50))
while ip -4 -o addr show | grep -q " 100\.64\.$octet\."; do octet=$(((octet - 49) % 200 + 50)); done
hip=100.64.$octet.1 cip=100.64.$octet.2
ip netns add "$ns"
ip link add "$vh" type veth peer name "$vc" netns "$ns"
ip addr add "$hip/30" dev "$vh"
ip link set "$vh" up
ip -n "$ns" link set lo up
ip -n "$ns" addr add "$cip/30" dev "$vc"
ip -n "$ns" link set "$vc" up
for a in "${addrs[@]}"; do ip -n "$ns" route add "$a/32" via "$hip"; done # no default route
iptables -N "$chain"
for a in "${addrs[@]}"; do iptables -A "$chain" -d "$a/32" -p tcp -m multiport --dports 80,443 -j ACCEPT; done
iptables -A "$chain" -j DROP
iptables -I FORWARD 1 -o "$vh" -j DROP
iptables -I FORWARD 1 -o "$vh" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -I FORWARD 1 -i "$vh" -j "$chain"
iptables -I INPUT 1 -i "$vh" -j DROP
iptables -t nat -N "$chain"
for a in "${addrs[@]}"; do iptables -t nat -A "$chain" -d "$a/32" -j MASQUERADE; done
iptables -t nat -I POSTROUTING 1 -s "$cip/32" -j "$chain"
echo 1 >/proc/sys/net/ipv4/ip_forward
say "network: $vh $hip <-> $vc $cip in netns $ns; routes and NAT only to ${#addrs[@]} registry addresses (${hosts[*]})"

# --- 4. inside: stage 1 (host binaries) mounts and pivots, stage 2 (the copy's) runs the README ---
cp "$here/fresh-debian-inner.sh" "$root/root/fresh-debian-inner.sh"
# shellcheck disable=SC2016  # expanded by the inner bash
stage1='set -euo pipefail
root=$1; shift
mount --make-rprivate /
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=755 tmpfs "$root/run"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
cd "$root"
mkdir -p .oldroot
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
extra=()
[ ! -f /etc/netcheck-fresh-extra-ca.pem ] || extra=(NODE_EXTRA_CA_CERTS=/etc/netcheck-fresh-extra-ca.pem)
exec env -i HOME=/root LANG=C.UTF-8 TERM=dumb "${extra[@]}" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /bin/bash /root/fresh-debian-inner.sh "$@"'
say "entering the fresh $suite (mount, PID and network namespaces of its own)"
set +e
# PIN_CPU=N runs the whole fresh system on CPU N: see docs/fresh-debian.md (mount-namespace ids).
pin=()
[ -z "${PIN_CPU:-}" ] || pin=(taskset -c "$PIN_CPU")
timeout -k 30 "$step_timeout" "${pin[@]}" \
  nsenter --net="/run/netns/$ns" -- \
  unshare --mount --pid --fork --kill-child --propagation private -- \
  bash -c "$stage1" stage1 "$root" "$suite" "$step" &
child=$!
wait "$child"
rc=$?
child=
set -e
if [ "$rc" -eq 0 ]; then say "RESULT $suite $step: PASS"; else say "RESULT $suite $step: FAIL (exit $rc)"; fi
exit "$rc"
