import type { NodeFacts } from '../probes/cluster-facts.js';
import type { ClockReading, PreflightFacts } from '../probes/collect-preflight.js';
import { parseCniConfigDir } from '../probes/parsers/cni-config-dir.js';
import { parseRoutes } from '../probes/parsers/ip-route.js';
import { parseJson } from '../probes/parsers/parse-helpers.js';
import { parseSysctls } from '../probes/parsers/sysctl.js';
import { PREFLIGHT_PROBE } from '../probes/preflight-plan.js';
import type { ProbeOutput } from '../probes/probe-output.js';
import { cidrsOverlap, formatCidr, parseCidr } from './cidr.js';
import type { PreflightRow } from './preflight-result.js';

/** Clocks further apart than this fail (kubeadm's certificates and tokens are time-bound). */
export const MAX_CLOCK_SKEW_MS = 1000;

/** Devices a CNI makes: their addresses are pod addresses, not the node network. */
const CNI_DEVICE = /^(cni\d*|flannel\..*|veth.*|cali.*|vxlan\..*|docker\d*)$/;

const clip = (text: string, n = 120) => {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}…` : t;
};

export interface NodeIdentity {
  readonly hostname: string | undefined;
  /** MAC of the interface that carries the node's inventory address. */
  readonly mac: string | undefined;
  /** undefined: could not read; null: the node has no DMI product_uuid. */
  readonly productUuid: string | null | undefined;
  readonly addresses: readonly { ifname: string; address: string; prefixlen: number }[] | undefined;
}

const okOutput = (o: ProbeOutput | undefined): o is ProbeOutput => !!o && o.exitCode === 0 && !o.timedOut;

/** Hostname, MAC and product_uuid of a node, from hostile output, strictly parsed. */
export function nodeIdentity(node: NodeFacts | undefined): NodeIdentity {
  const out = (k: string) => node?.outputs[k];
  const h = out(PREFLIGHT_PROBE.hostname);
  const hostname = okOutput(h) ? /^\s*([A-Za-z0-9][A-Za-z0-9.-]{0,252})\s*$/.exec(h.stdout)?.[1] : undefined;
  const u = out(PREFLIGHT_PROBE.productUuid);
  const uuidText = okOutput(u) ? u.stdout.trim() : undefined;
  const productUuid =
    uuidText === 'NOFILE'
      ? null
      : uuidText && /^[0-9A-Fa-f-]{8,64}$/.test(uuidText)
        ? uuidText.toLowerCase()
        : undefined;
  const a = out(PREFLIGHT_PROBE.addresses);
  const json = okOutput(a) ? parseJson(a.stdout) : undefined;
  let addresses: { ifname: string; address: string; prefixlen: number }[] | undefined;
  let mac: string | undefined;
  if (Array.isArray(json)) {
    addresses = [];
    for (const link of json as { ifname?: unknown; address?: unknown; addr_info?: unknown }[]) {
      const ifname = typeof link.ifname === 'string' ? link.ifname : '?';
      for (const info of Array.isArray(link.addr_info) ? link.addr_info : []) {
        const i = info as { family?: unknown; local?: unknown; prefixlen?: unknown };
        if (i.family !== 'inet' || typeof i.local !== 'string' || typeof i.prefixlen !== 'number') continue;
        addresses.push({ ifname, address: i.local, prefixlen: i.prefixlen });
        if (
          i.local === node?.host &&
          typeof link.address === 'string' &&
          /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(link.address)
        )
          mac = link.address;
      }
    }
  }
  return { hostname, mac, productUuid, addresses };
}

/** The candidate's own prerequisites (pure: recorded facts in, rows out). */
export function prerequisiteRows(facts: PreflightFacts): PreflightRow[] {
  const node = facts.nodes[facts.candidate];
  const subject = facts.candidate;
  const row = (r: Omit<PreflightRow, 'subject' | 'area'>): PreflightRow => ({
    ...r,
    subject,
    area: 'prerequisite',
  });
  const out = (k: string) => node?.outputs[k];
  const rows: PreflightRow[] = [];

  const sysctls = out(PREFLIGHT_PROBE.sysctls);
  const parsed = sysctls ? parseSysctls(sysctls) : undefined;
  const sysctl = (key: string) => (parsed?.status === 'ok' ? parsed.value[key] : undefined);
  const why = parsed?.status === 'unknown' ? parsed.reason : 'not read';
  const bnf = parsed?.status === 'ok' ? parsed.value['net.bridge.bridge-nf-call-iptables'] : undefined;
  rows.push(
    row(
      parsed?.status !== 'ok'
        ? { check: 'br-netfilter-loaded', status: 'unknown', detail: why }
        : bnf === null || bnf === undefined
          ? {
              check: 'br-netfilter-loaded',
              catalogId: 'br-netfilter-missing',
              status: 'fail',
              detail:
                'br_netfilter is not loaded: /proc/sys/net/bridge/bridge-nf-call-iptables does not exist',
            }
          : { check: 'br-netfilter-loaded', status: 'pass', detail: 'br_netfilter loaded' },
    ),
  );
  for (const [check, key, id] of [
    ['bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-iptables', 'br-netfilter-missing'],
    ['ip-forward', 'net.ipv4.ip_forward', 'ip-forward-disabled'],
  ] as const) {
    const value = sysctl(key);
    rows.push(
      row(
        value === '1'
          ? { check, status: 'pass', detail: `${key} = 1` }
          : parsed?.status === 'ok'
            ? {
                check,
                catalogId: id,
                status: 'fail',
                detail: `${key} = ${value ?? '(missing)'}; kubeadm needs 1`,
              }
            : { check, status: 'unknown', detail: why },
      ),
    );
  }

  const swaps = out(PREFLIGHT_PROBE.swaps);
  if (!okOutput(swaps) || !/^Filename\s/.test(swaps.stdout))
    rows.push(
      row({
        check: 'swap-off',
        status: 'unknown',
        detail: `could not read /proc/swaps (${clip(swaps?.stderr ?? '')})`,
      }),
    );
  else {
    const active = swaps.stdout
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '');
    rows.push(
      row(
        active.length === 0
          ? { check: 'swap-off', status: 'pass', detail: 'no swap in use' }
          : {
              check: 'swap-off',
              status: 'fail',
              detail: `swap is on (${clip(active.map((l) => l.split(/\s+/)[0]).join(', '))}); kubelet refuses to start with swap unless configured: swapoff -a and remove it from /etc/fstab`,
            },
      ),
    );
  }

  const cni = out(PREFLIGHT_PROBE.cniConfig);
  const dir = cni ? parseCniConfigDir(cni) : undefined;
  if (dir?.status !== 'ok')
    rows.push(row({ check: 'no-foreign-cni-config', status: 'unknown', detail: dir?.reason ?? 'not read' }));
  else {
    const foreign = dir.value.files.filter((f) => !/flannel/i.test(f) && /\.(conf|conflist|json)$/.test(f));
    rows.push(
      row(
        foreign.length === 0
          ? {
              check: 'no-foreign-cni-config',
              status: 'pass',
              detail: dir.value.exists
                ? `/etc/cni/net.d: ${dir.value.files.length} file(s), none foreign`
                : 'no /etc/cni/net.d yet',
            }
          : {
              check: 'no-foreign-cni-config',
              catalogId: 'leftover-cni-config',
              status: 'fail',
              detail: `another plugin's config in /etc/cni/net.d: ${clip(foreign.join(', '))}; move it away before joining`,
            },
      ),
    );
  }

  const pod = parseCidr(facts.podNetworkCidr);
  const identity = nodeIdentity(node);
  if (!identity.addresses || !pod)
    rows.push(
      row({
        check: 'node-net-outside-pod-net',
        status: 'unknown',
        detail: 'could not read the node addresses',
      }),
    );
  else {
    const overlapping = identity.addresses
      .filter((a) => !CNI_DEVICE.test(a.ifname) && !a.address.startsWith('127.'))
      .map((a) => ({ a, net: parseCidr(`${a.address}/${a.prefixlen}`) }))
      .filter((x) => x.net && cidrsOverlap(x.net, pod));
    rows.push(
      row(
        overlapping.length === 0
          ? {
              check: 'node-net-outside-pod-net',
              status: 'pass',
              detail: `no node address inside podNetworkCidr ${facts.podNetworkCidr}`,
            }
          : {
              check: 'node-net-outside-pod-net',
              catalogId: 'podcidr-overlaps-host-net',
              status: 'fail',
              detail: `${clip(overlapping.map((x) => `${x.a.ifname} ${formatCidr(x.net!)}`).join(', '))} overlaps podNetworkCidr ${facts.podNetworkCidr}`,
            },
      ),
    );
  }

  const routes = out(PREFLIGHT_PROBE.routes);
  const table = routes ? parseRoutes(routes) : undefined;
  if (table?.status !== 'ok')
    rows.push(row({ check: 'default-route', status: 'unknown', detail: table?.reason ?? 'not read' }));
  else {
    const def = table.value.find((r) => r.dst === 'default' || r.dst === '0.0.0.0/0');
    rows.push(
      row(
        def
          ? {
              check: 'default-route',
              status: 'pass',
              detail: `default${def.gateway ? ` via ${def.gateway}` : ''}${def.dev ? ` dev ${def.dev}` : ''}`,
            }
          : {
              check: 'default-route',
              catalogId: 'no-default-route',
              status: 'fail',
              detail: 'no default route: flannel without --iface cannot pick an interface',
            },
      ),
    );
  }

  const conf = out(PREFLIGHT_PROBE.kubeletConf);
  const confText = okOutput(conf) ? conf.stdout.trim() : '';
  rows.push(
    row(
      confText === 'ABSENT'
        ? { check: 'no-earlier-join', status: 'pass', detail: 'no /etc/kubernetes/kubelet.conf' }
        : confText === 'PRESENT'
          ? {
              check: 'no-earlier-join',
              status: 'fail',
              detail:
                '/etc/kubernetes/kubelet.conf exists (an earlier join not reset): run kubeadm reset on the node first',
            }
          : {
              check: 'no-earlier-join',
              status: 'unknown',
              detail: 'could not check /etc/kubernetes/kubelet.conf',
            },
    ),
  );

  rows.push(row(clockRow(facts.clock)));
  return rows;
}

/**
 * The candidate's clock against the worker's: skew = node time − the midpoint of the round trip,
 * known to within half the round trip. Fails only when even the best case exceeds the limit.
 */
export function clockRow(clock: ClockReading | undefined): Omit<PreflightRow, 'subject' | 'area'> {
  const check = 'clock-in-sync';
  if (clock?.output.exitCode !== 0 || clock.output.timedOut)
    return { check, status: 'unknown', detail: 'could not read the node clock' };
  const text = clock.output.stdout.trim();
  if (!/^\d{10,19}$/.test(text))
    return { check, status: 'unknown', detail: `unexpected clock output ${JSON.stringify(clip(text, 40))}` };
  const nodeMs = Number(BigInt(text) / 1_000_000n);
  const bound = Math.max(0, (clock.receivedAtMs - clock.sentAtMs) / 2);
  const skew = nodeMs - (clock.sentAtMs + clock.receivedAtMs) / 2;
  const shown = `${skew >= 0 ? '+' : ''}${Math.round(skew)} ms ± ${Math.round(bound)} ms against the worker`;
  if (Math.abs(skew) - bound > MAX_CLOCK_SKEW_MS)
    return {
      check,
      status: 'fail',
      detail: `clock off by ${shown} (limit ${MAX_CLOCK_SKEW_MS} ms): enable NTP (timedatectl set-ntp true / chrony)`,
    };
  if (Math.abs(skew) + bound <= MAX_CLOCK_SKEW_MS) return { check, status: 'pass', detail: `clock ${shown}` };
  return { check, status: 'unknown', detail: `clock ${shown}: the round trip is too slow to tell` };
}
