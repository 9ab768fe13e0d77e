import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { LabError, run, tryRun } from './lab-exec.js';

/** Debian releases a lab node can run its userland from (besides the host's own). */
export const LAB_DISTROS = ['bookworm', 'trixie'] as const;
export type LabDistro = (typeof LAB_DISTROS)[number];

export const isLabDistro = (s: string): s is LabDistro => (LAB_DISTROS as readonly string[]).includes(s);

/**
 * What a node runs or netcheck probes on it, on top of debootstrap's minbase (which already has
 * dash, bash, coreutils, grep, sed, tar, gzip, mount, util-linux and mawk). systemd is not
 * installed: nodes run no init, and the probe for kubelet/containerd tolerates its absence.
 */
export const NODE_PACKAGES = [
  'openssh-server',
  'iproute2',
  'iptables',
  'nftables',
  'iputils-ping',
  'curl',
  'procps',
  'kmod',
  'util-linux',
  'ca-certificates',
  'ethtool',
] as const;

/** Built once per release, reused by every lab after; never written to by a running lab. */
export const DEFAULT_ROOTFS_CACHE = '/var/cache/netcheck/lab-rootfs';

const MARKER = '.netcheck-lab-rootfs';

export const rootfsCache = (): string => process.env.NETCHECK_LAB_ROOTFS_CACHE ?? DEFAULT_ROOTFS_CACHE;

export const rootfsDir = (distro: LabDistro, cache = rootfsCache()): string => path.join(cache, distro);

/** The marker's package line: a rootfs built with another package list is rebuilt. */
const packagesLine = (): string => `packages: ${NODE_PACKAGES.join(',')}`;

/** A finished build for the current package list (the marker is written last, after the rename). */
export function rootfsReady(distro: LabDistro, cache = rootfsCache()): boolean {
  const marker = path.join(rootfsDir(distro, cache), MARKER);
  if (!existsSync(marker)) return false;
  return readFileSync(marker, 'utf8').split('\n').includes(packagesLine());
}

/**
 * The build, run under `flock` so two labs (or CI and a developer) never build the same release at
 * once: the second waits and then finds the marker. debootstrap writes into `<suite>.partial`,
 * renamed into place only when complete, so an interrupted build is never used.
 */
const BUILD_SCRIPT = `set -eu
dir=$1 suite=$2 include=$3 line=$4 mirror=$5
if [ -f "$dir/${MARKER}" ] && grep -qxF "$line" "$dir/${MARKER}"; then echo reused; exit 0; fi
rm -rf "$dir.partial"
start=$(date +%s)
if ! debootstrap --variant=minbase --include="$include" "$suite" "$dir.partial" $mirror >"$dir.log" 2>&1; then
  tail -n 15 "$dir.log" >&2; exit 1
fi
# The package cache is not part of a node; the lists let a developer apt-get inside a copy later.
rm -f "$dir.partial"/var/cache/apt/archives/*.deb
rm -rf "$dir"
mv "$dir.partial" "$dir"
printf '%s\\nbuilt: %s in %ss by debootstrap --variant=minbase %s\\n' "$line" "$(date -u +%FT%TZ)" "$(($(date +%s) - start))" "$suite" >"$dir/${MARKER}"
`;

/**
 * Makes sure the release's root file system exists in the cache, building it with debootstrap
 * (from Debian's mirror, `NETCHECK_DEBIAN_MIRROR` to override) when it is missing. Returns its
 * folder and whether this call built it.
 */
export async function ensureRootfs(
  distro: LabDistro,
  cache = rootfsCache(),
): Promise<{ dir: string; built: boolean }> {
  const dir = rootfsDir(distro, cache);
  if (rootfsReady(distro, cache)) return { dir, built: false };
  if ((await tryRun(['sh', '-c', 'command -v debootstrap'])).code !== 0)
    throw new LabError(
      `a node on ${distro} needs its root file system, built with debootstrap, which is not installed: run \`apt-get install debootstrap\` (or drop --distro)`,
    );
  await mkdir(cache, { recursive: true });
  const { stdout } = await run(
    [
      'flock',
      path.join(cache, `.${distro}.lock`),
      'sh',
      '-c',
      BUILD_SCRIPT,
      'sh',
      dir,
      distro,
      NODE_PACKAGES.join(','),
      packagesLine(),
      process.env.NETCHECK_DEBIAN_MIRROR ?? '',
    ],
    // debootstrap downloads and unpacks ~130 packages: minutes, not seconds.
    { timeoutMs: 30 * 60_000 },
  ).catch((error: unknown) => {
    throw new LabError(
      `building the ${distro} root file system in ${dir} failed (log: ${dir}.log); check that Debian's mirror is reachable and retry: ${(error as Error).message}`,
    );
  });
  // "reused": another build held the lock and finished while this one waited.
  return { dir, built: stdout.trim() !== 'reused' };
}
