import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runUnsharePersistent } from './lab-mount-ns.js';
import { rootfsDir } from './lab-rootfs.js';
import { type LabState, nodeDir, nsFile } from './lab-state.js';
import type { LabNodeSpec } from './lab-topology.js';

/** Folders the node's Kubernetes/Flannel state lives in; made in its view at start. */
const NODE_DIRS =
  'mkdir -p /etc/cni/net.d /run/flannel /run/sshd /var/lib/cni /var/log/pods /etc/kubernetes /var/lib/kubelet';

/**
 * Host userland: overlays over the host's /etc, /var, /run and /root (writes land in the lab's
 * state dir, never on the host), the stand-in binaries on /usr/local/bin, and a sysfs of the
 * node's own network namespace (the script runs in it), so /sys/class/net lists the node's links.
 * root's shell start-up files are Debian's stock ones, as on a node: bash run by sshd reads
 * ~/.bashrc, and a workstation's (pyenv's init: 0.3 s per SSH command here) would be timed as
 * the node's.
 */
const HOST_ROOT = [
  'set -e',
  'hostname "$1"',
  'for d in etc var run root; do mount -t overlay overlay -o "lowerdir=/$d,upperdir=$2/ov/$d/upper,workdir=$2/ov/$d/work" "/$d"; done',
  'for f in bashrc profile; do rm -f "/root/.$f"; if [ -f "/usr/share/base-files/dot.$f" ]; then cp "/usr/share/base-files/dot.$f" "/root/.$f"; fi; done',
  'mount --bind "$3" /usr/local/bin',
  'mount -t sysfs sysfs /sys',
  NODE_DIRS,
].join('\n');

/**
 * Another Debian release's userland: one overlay over the cached root file system (read-only lower
 * layer, shared by every node and every lab; writes land in the node's state dir), its own /proc
 * and /sys, the host's /dev, the lab's state dir at the same path (sshd_config, host key,
 * authorized_keys, pid file and the API stand-in's files keep their paths) and the stand-in
 * binaries on /usr/local/bin; then pivot_root, so that entering the namespace (nsenter --mount)
 * lands in the release's root and `sshd`, `ip`, `iptables`, `curl` are the release's own.
 */
const DISTRO_ROOT = [
  'set -e',
  'hostname "$1"',
  'dir=$2 bin=$3 state=$4 lower=$5 new=$2/rootfs',
  'mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir/ov/rootfs/upper,workdir=$dir/ov/rootfs/work" "$new"',
  'mount -t proc proc "$new/proc"',
  'mount -t sysfs sysfs "$new/sys"',
  'mount --rbind /dev "$new/dev"',
  'mkdir -p "$new$state" "$new/usr/local/bin"',
  'mount --bind "$state" "$new$state"',
  'mount --bind "$bin" "$new/usr/local/bin"',
  'mkdir -p "$new/.lab-oldroot"',
  'cd "$new"',
  // From here on every command is the release's own.
  'pivot_root . .lab-oldroot',
  'cd /',
  'umount -l /.lab-oldroot',
  'rmdir /.lab-oldroot',
  NODE_DIRS,
].join('\n');

/**
 * A node's own view of the file system and its hostname, in persistent mount and UTS namespaces
 * bound to files; made inside the node's network namespace (which must exist) for its sysfs.
 */
export async function createNodeRoot(state: LabState, spec: LabNodeSpec): Promise<void> {
  const dir = nodeDir(state, spec.name);
  const layers = spec.distro ? ['rootfs'] : ['etc', 'var', 'run', 'root'];
  for (const d of layers) {
    await mkdir(path.join(dir, 'ov', d, 'upper'), { recursive: true });
    await mkdir(path.join(dir, 'ov', d, 'work'), { recursive: true });
  }
  if (spec.distro) await mkdir(path.join(dir, 'rootfs'), { recursive: true });
  await writeFile(nsFile(state, spec.name, 'mnt'), '');
  await writeFile(nsFile(state, spec.name, 'uts'), '');
  const bin = path.join(state.stateDir, 'bin');
  await runUnsharePersistent(
    [
      'nsenter',
      `--net=/run/netns/${spec.netns}`,
      '--',
      'unshare',
      `--mount=${nsFile(state, spec.name, 'mnt')}`,
      `--uts=${nsFile(state, spec.name, 'uts')}`,
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      spec.distro ? DISTRO_ROOT : HOST_ROOT,
      'sh',
      spec.name,
      dir,
      bin,
      ...(spec.distro ? [state.stateDir, rootfsDir(spec.distro)] : []),
    ],
    spec.name,
  );
}
