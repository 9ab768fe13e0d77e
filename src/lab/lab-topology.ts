import path from 'node:path';
import type { LabDistro } from './lab-rootfs.js';

export type LabRole = 'control-plane' | 'worker';

export interface LabNodeSpec {
  readonly name: string;
  readonly role: LabRole;
  /** 0 for the control plane, k for node-k: picks the address and the pod subnet. */
  readonly index: number;
  readonly host: string;
  readonly podSubnet: string;
  readonly overlayAddress: string;
  readonly cni0Address: string;
  readonly vtepMac: string;
  readonly netns: string;
  /** Host-side veth name (IFNAMSIZ: at most 15 characters). */
  readonly hostVeth: string;
  /** The Debian release whose root file system the node runs from; absent: the host's own userland. */
  readonly distro?: LabDistro;
}

export const LAB_POD_NETWORK = '10.244.0.0/16';
export const LAB_SERVICE_API_IP = '10.96.0.1';

export function labNet(netIndex: number): { prefix: string; bridgeAddress: string } {
  return { prefix: `198.18.${netIndex}`, bridgeAddress: `198.18.${netIndex}.1` };
}

export function nodeSpecs(
  labId: string,
  netIndex: number,
  workers: number,
  distros: Readonly<Record<string, LabDistro>> = {},
): LabNodeSpec[] {
  const { prefix } = labNet(netIndex);
  const specs: LabNodeSpec[] = [];
  for (let k = 0; k <= workers; k++) {
    const name = k === 0 ? 'cp-1' : `node-${k}`;
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    specs.push({
      name,
      role: k === 0 ? 'control-plane' : 'worker',
      index: k,
      host: `${prefix}.${10 + k}`,
      podSubnet: `10.244.${k}.0/24`,
      overlayAddress: `10.244.${k}.0`,
      cni0Address: `10.244.${k}.1`,
      // Locally administered, stable per lab and node, so the API stand-in can publish it as VtepMAC.
      vtepMac: `0e:6c:${hex(netIndex)}:00:00:${hex(k)}`,
      netns: `${labId}-${name}`,
      hostVeth: `${labId}v${k}`,
      ...(distros[name] ? { distro: distros[name] } : {}),
    });
  }
  return specs;
}

export function stateDirFor(stateRoot: string, labId: string): string {
  return path.join(stateRoot, labId);
}
