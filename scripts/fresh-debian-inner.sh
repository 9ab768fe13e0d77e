#!/bin/bash
# Stage 2 of scripts/fresh-debian.sh: runs as PID 1 inside the fresh Debian (its own root, mount,
# PID and network namespaces) and replays the README there. Not meant to be run by hand.
set -euo pipefail
suite=$1 step=$2
export DEBIAN_FRONTEND=noninteractive CI=${CI:-}
cd /work/netcheck
t0=$(date +%s)
say() { printf '[inside %s %4ss] %s\n' "$suite" "$(($(date +%s) - t0))" "$*"; }
summary=()

# The fenced block that follows `<!-- fresh-debian: NAME -->` in README.md (list indentation removed).
readme_block() {
  awk -v want="<!-- fresh-debian: $1 -->" '
    index($0, want) { found = 1; next }
    found && /^ *```/ { if (inblock) exit; inblock = 1; next }
    inblock { sub(/^  /, ""); print }' README.md
}

# Runs one phase, timed; its output goes to the log and to /root/phase-NAME.log. On failure the
# first line that looks like an error is repeated, so the summary says what broke.
phase() {
  local name=$1 p0 rc
  shift
  p0=$(date +%s)
  say "--- $name: $*"
  set +e
  (set -e; "$@") 2>&1 | tee "/root/phase-$name.log"
  rc=${PIPESTATUS[0]}
  set -e
  local took=$(($(date +%s) - p0))
  if [ "$rc" -eq 0 ]; then
    summary+=("$name: ok in ${took}s")
    say "--- $name: ok in ${took}s"
  else
    local first
    first=$(grep -m1 -E 'check failed|npm (ERR!|error)|^E: |Error|error:|✖|not ok|FAIL|failed' "/root/phase-$name.log" || tail -n1 "/root/phase-$name.log")
    summary+=("$name: FAILED (exit $rc) in ${took}s; first error: $first")
    say "--- $name: FAILED (exit $rc) in ${took}s; first error: $first"
  fi
  return "$rc"
}

finish() {
  local rc=$?
  say "summary ($suite $step):"
  for line in "${summary[@]}"; do say "  $line"; done
  exit "$rc"
}
trap finish EXIT

# What the kernel does with `unshare --mount=FILE` (the lab's way to keep a node's mount namespace)
# when run inside this script's mount namespace: on Linux 6.18, mount-namespace ids are handed out
# per CPU and binding a namespace whose id is not higher than ours fails with EINVAL.
mntns_probe() {
  local ok=0 bad=0 first='' out i
  for i in $(seq 1 40); do
    : >"/tmp/mntns-probe.$i"
    if out=$(unshare --mount="/tmp/mntns-probe.$i" true 2>&1); then
      ok=$((ok + 1))
      umount "/tmp/mntns-probe.$i"
    else
      bad=$((bad + 1))
      first=${first:-$out}
    fi
    rm -f "/tmp/mntns-probe.$i"
  done
  echo "unshare --mount=FILE inside the fresh system's mount namespace: $ok of 40 ok, $bad failed${first:+ (first: $first)}"
}

# --- Node.js as README "Prerequisites" says for this Debian ------------------------------------------
node_prerequisite() {
  local block
  block=$(readme_block "node-$suite")
  [ -n "$block" ] || { echo "README has no <!-- fresh-debian: node-$suite --> block"; return 1; }
  echo "$block"
  bash -euxo pipefail -c "$block"
  hash -r
  echo "node $(node --version), npm $(npm --version), $(command -v node)"
}

# On Debian 12, before the README's way to Node.js 20: Debian's own Node.js 18 must be refused.
old_node_refused() {
  apt-get update -q
  apt-get install -y -q nodejs npm
  echo "Debian's node: $(node --version)"
  if npm ci --no-audit --no-fund >/root/npm-ci-node18.log 2>&1; then
    echo "npm ci was NOT refused under $(node --version)"
    return 1
  fi
  echo "npm ci under $(node --version) refused; npm said:"
  grep -E 'EBADENGINE|engine|notsup|Required|Actual' /root/npm-ci-node18.log | head -n 6
  [ ! -d node_modules ] || { echo "…but node_modules exists"; return 1; }
}

readme_install() {
  local block
  block=$(readme_block install)
  echo "$block"
  # The block ends with `npm ci && npm start`: the system part runs here, npm ci and the chosen step after.
  bash -euxo pipefail -c "$(echo "$block" | grep -v '^npm ')"
}

local_console() {
  local before_links before_netns before_rules before_mounts pid i code=
  before_links=$(ip -o link show | awk -F': ' '{ print $2 }' | sort | tr '\n' ' ')
  before_netns=$(ip netns list | wc -l)
  before_rules=$(iptables-save 2>/dev/null | grep -c '^-A' || true)
  before_mounts=$(wc -l </proc/self/mounts)
  setsid npm start >/root/npm-start.log 2>&1 </dev/null &
  pid=$!
  for i in $(seq 1 300); do
    code=$(curl -s -o /root/console.html -w '%{http_code}' --max-time 2 http://127.0.0.1:3000/ || true)
    [ "$code" = 200 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  local bad=0 rc=0
  if [ "$code" = 200 ]; then
    cat /root/npm-start.log
    echo "console: HTTP 200 on 127.0.0.1:3000 after ${i}s, $(wc -c </root/console.html) bytes, title: $(grep -o '<title>[^<]*' /root/console.html | head -n1 | cut -c8-)"
    echo "while running: $(ip netns list | wc -l) netns, $(find /proc -maxdepth 1 -name '[0-9]*' | wc -l) processes"
    echo "sending SIGINT (Ctrl-C) to npm start's process group $pid"
    kill -INT -- "-$pid"
    for i in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "npm start still running 120 s after SIGINT"
      return 1
    fi
    wait "$pid" || rc=$?
    echo "npm start exited with $rc, ${i}s after SIGINT; its last lines:"
    tail -n 5 /root/npm-start.log
  else
    bad=1
    if kill -0 "$pid" 2>/dev/null; then
      echo "the console on 127.0.0.1:3000 did not answer 200 within 300 s (last: $code)"
      kill -INT -- "-$pid"
      sleep 15
    fi
    wait "$pid" || rc=$?
    echo "npm start exited with $rc before the console answered:"
    cat /root/npm-start.log
    echo "start check failed: the console never answered; what it left behind follows"
  fi
  # What is left: processes (this namespace has only ours), links, netns, rules, mounts, temp files.
  local p comm
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = 1 ] || [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
    comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    case $comm in tee | grep | sed | cat | ls | awk) continue ;; esac
    echo "left running: $p $comm $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
    bad=1
  done
  local after_links
  after_links=$(ip -o link show | awk -F': ' '{ print $2 }' | sort | tr '\n' ' ')
  [ "$after_links" = "$before_links" ] || { echo "links before: $before_links / after: $after_links"; bad=1; }
  [ "$(ip netns list | wc -l)" = "$before_netns" ] || { echo "netns left: $(ip netns list | tr '\n' ' ')"; bad=1; }
  [ "$(iptables-save 2>/dev/null | grep -c '^-A' || true)" = "$before_rules" ] || { echo "iptables rules changed"; bad=1; }
  # `ip netns add` bind-mounts /run/netns onto itself the first time (iproute2 does that on any host).
  local mounts
  mounts=$(tail -n +"$((before_mounts + 1))" /proc/self/mounts | grep -v ' /run/netns ' || true)
  [ -z "$mounts" ] || { echo "mounts left: $mounts"; bad=1; }
  echo "/tmp after: $(find /tmp -mindepth 1 -maxdepth 1 ! -name 'tsx-*' -printf '%p ')(tsx's cache not shown)"
  [ ! -d /tmp/netcheck-lab ] || echo "/tmp/netcheck-lab holds $(find /tmp/netcheck-lab -mindepth 1 | wc -l) entries"
  local errors
  errors=$(grep -E '"level":(50|60)' /root/npm-start.log | grep -o '"msg":"[^"]*"' | sort -u | tr '\n' ' ' || true)
  [ -z "$errors" ] || echo "NOTE: errors logged while running or stopping: $errors"
  grep -o '"err":{[^}]*"message":"[^"]*"' /root/npm-start.log | grep -o '"message":"[^"]*"' | sort -u | sed 's/^/  logged: /' || true
  if [ "$bad" = 0 ]; then
    echo "cleanup: nothing left (processes, links, netns, iptables rules, mounts)"
  else
    echo "start check failed (see above)"
  fi
  return "$bad"
}

# shellcheck source=/dev/null
say "fresh $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), pid $$, $(nproc) CPUs, repo $(git log -1 --format=%h 2>/dev/null || echo '?')"
say "$(mntns_probe)"

case $step in
  test)
    # CI's own path on a pristine machine: .ci/run installs everything (Node.js too) and runs npm test.
    phase ci-run env CI=true bash .ci/run
    ;;
  setup | start)
    if [ "$suite" = bookworm ] && [ "$step" = setup ]; then phase node18-refused old_node_refused; fi
    phase node node_prerequisite
    phase install readme_install
    phase npm-ci npm ci
    phase help npm run netcheck -- help
    if [ "$step" = start ]; then phase start local_console; fi
    ;;
esac
