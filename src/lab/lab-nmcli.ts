/** Where the stand-in keeps NetworkManager's state inside a node. */
export const NM_STATE_DIR = '/var/lib/netcheck-lab/nm';

/**
 * The stand-in `nmcli` the lab puts on every node's /usr/local/bin. Lab nodes run no NetworkManager,
 * so by default it answers as nmcli does when NetworkManager is not running (exit 8). The
 * network-manager-interference fault "starts" it: then it lists the node's links, and every one that
 * the unmanaged-devices config it loaded (at start, or at `nmcli general reload`) does not name is
 * managed, as NetworkManager without such a config treats cni0 and flannel.1.
 */
export function nmcliStandIn(): string {
  return `#!/bin/sh
# netcheck lab stand-in for nmcli: NOT NetworkManager's nmcli. See src/lab/lab-nmcli.ts. It answers
# only what netcheck asks: "-t -f DEVICE,STATE dev" and "general reload".
set -f
NM=${NM_STATE_DIR}
if [ ! -e "$NM/running" ]; then echo "Error: NetworkManager is not running." >&2; exit 8; fi
specs=
covered() {
  for spec in $specs; do
    case "$spec" in interface-name:*) pat=\${spec#interface-name:}; pat=\${pat#[=~]};; *) continue;; esac
    case "$1" in $pat) return 0;; esac
  done
  return 1
}
if [ "$*" = "general reload" ]; then
  set +f
  for f in /etc/NetworkManager/NetworkManager.conf /etc/NetworkManager/conf.d/*.conf; do
    [ -f "$f" ] && sed -n 's/^[[:space:]]*unmanaged-devices[[:space:]]*=[[:space:]]*//p' "$f"
  done > "$NM/unmanaged.new" && mv "$NM/unmanaged.new" "$NM/unmanaged"
  exit 0
fi
if [ "$1 $2 $3" = "-t -f DEVICE,STATE" ] && { [ "$4" = dev ] || [ "$4" = device ]; }; then
  # A handful of processes in all, as nmcli is one: the config is read once, a name is escaped by
  # sed only where it has a character to escape.
  specs=$(tr ';,' '  ' < "$NM/unmanaged" 2>/dev/null)
  ip -o link show | sed -n 's/^[0-9]*: \\([^:@]*\\)[:@].*/\\1/p' | while read -r d; do
    if [ "$d" = lo ] || covered "$d"; then s=unmanaged
    elif [ "$d" = eth0 ]; then s=connected
    else s="connected (externally)"; fi
    case "$d" in *[\\\\:]*) e=$(printf '%s' "$d" | sed 's/[\\\\:]/\\\\&/g');; *) e=$d;; esac
    printf '%s:%s\\n' "$e" "$s"
  done
  exit 0
fi
echo "[netcheck lab stand-in] nmcli: unsupported command $*" >&2
exit 2
`;
}
