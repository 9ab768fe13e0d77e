/**
 * netcheck lab: a STAND-IN for kube-apiserver, not the real thing. It runs inside the control
 * plane's network namespace on :6443 with a certificate from the lab CA and answers the few read
 * endpoints netcheck and @kubernetes/client-node use, from the lab's state file (so faults such as
 * podcidr-not-assigned show up here the way they would on a real cluster).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import path from 'node:path';

const stateDir = process.argv[2];
if (!stateDir) {
  console.error('usage: apiserver-standin <lab state dir>');
  process.exit(2);
}

interface Spec {
  name: string;
  role: string;
  host: string;
  podSubnet: string;
  vtepMac: string;
  index: number;
}
interface State {
  labId: string;
  specs: Spec[];
  apiToken: string;
  standby?: string[];
  apiOverrides: Record<
    string,
    { podCIDR?: string | null; publicIp?: string; vtepMac?: string; netConfNetwork?: string }
  >;
}

const load = (): State => JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as State;

/*
 * Writes (cordon, eviction, node delete, status conditions) are kept as marker files under api/ in the lab's state dir
 * and logged to api/writes.log; the kubeadm stand-in's join removes a node's markers, the way a
 * real kubelet re-registers its node after a join.
 */
const apiDir = path.join(stateDir, 'api');
mkdirSync(apiDir, { recursive: true });
const marker = (kind: 'deleted' | 'cordoned', name: string) => path.join(apiDir, `${kind}-${name}`);
const logWrite = (line: string) => appendFileSync(path.join(apiDir, 'writes.log'), `${line}\n`);
/** Conditions written to a node's status subresource (by `type`), served back in status.conditions. */
const conditionsFile = (name: string) => path.join(apiDir, `conditions-${name}.json`);
const writtenConditions = (name: string): Record<string, unknown>[] =>
  existsSync(conditionsFile(name))
    ? (JSON.parse(readFileSync(conditionsFile(name), 'utf8')) as Record<string, unknown>[])
    : [];
/** A strategic merge / merge patch (`{status:{conditions:[…]}}`) or a JSON patch adding conditions. */
function patchedConditions(body: unknown): Record<string, unknown>[] {
  if (Array.isArray(body))
    return body.flatMap((op: { value?: unknown }) =>
      Array.isArray(op.value) ? op.value : op.value && typeof op.value === 'object' ? [op.value] : [],
    ) as Record<string, unknown>[];
  const conditions = (body as { status?: { conditions?: unknown } } | null)?.status?.conditions;
  return Array.isArray(conditions) ? (conditions as Record<string, unknown>[]) : [];
}
// A standby node (lab up --standby) has not joined: the API has no record of it.
const visible = (state: State) =>
  state.specs.filter((s) => !existsSync(marker('deleted', s.name)) && !state.standby?.includes(s.name));

function node(state: State, s: Spec) {
  const o = state.apiOverrides[s.name] ?? {};
  const podCIDR = o.podCIDR === null ? undefined : (o.podCIDR ?? s.podSubnet);
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: s.name,
      labels: {
        'kubernetes.io/hostname': s.name,
        ...(s.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
      },
      annotations: {
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: o.vtepMac ?? s.vtepMac }),
        'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
        'flannel.alpha.coreos.com/public-ip': o.publicIp ?? s.host,
      },
    },
    spec: {
      ...(podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {}),
      ...(existsSync(marker('cordoned', s.name)) ? { unschedulable: true } : {}),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: s.host },
        { type: 'Hostname', address: s.name },
      ],
      conditions: [
        {
          type: 'NetworkUnavailable',
          status: podCIDR ? 'False' : 'True',
          reason: podCIDR ? 'FlannelIsUp' : 'NoRouteCreated',
        },
        {
          type: 'Ready',
          status: podCIDR ? 'True' : 'False',
          reason: podCIDR ? 'KubeletReady' : 'KubeletNotReady',
        },
        ...writtenConditions(s.name),
      ],
    },
  };
}

/** An ordinary workload pod on each worker, so that a drain has something to evict. */
function workloadPod(s: Spec) {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: `web-${s.name}`,
      namespace: 'default',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9c7', uid: `rs-${s.name}` },
      ],
    },
    spec: { nodeName: s.name, containers: [{ name: 'web', image: 'nginx:1.27' }] },
    status: { phase: 'Running' },
  };
}

function flannelPod(s: Spec) {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: `kube-flannel-ds-${s.name}`,
      namespace: 'kube-flannel',
      labels: { app: 'flannel' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-flannel-ds', uid: 'ds-flannel' },
      ],
    },
    spec: {
      nodeName: s.name,
      containers: [{ name: 'kube-flannel', image: 'ghcr.io/flannel-io/flannel:v0.26.1' }],
    },
    status: { phase: 'Running', containerStatuses: [{ name: 'kube-flannel', ready: true, restartCount: 0 }] },
  };
}

const server = createServer(
  {
    key: readFileSync(path.join(stateDir, 'pki', 'apiserver.key')),
    cert: readFileSync(path.join(stateDir, 'pki', 'apiserver.crt')),
  },
  (req, res) => {
    const url = new URL(req.url ?? '/', 'https://lab');
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (url.pathname === '/livez' || url.pathname === '/readyz' || url.pathname === '/healthz')
      return send(200, 'ok', 'text/plain');
    if (url.pathname === '/version')
      return send(200, { major: '1', minor: '31', gitVersion: 'v1.31.0-netcheck-lab-standin' });
    const state = load();
    if (req.headers.authorization !== `Bearer ${state.apiToken}`)
      return send(401, { kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    const notFound = () => send(404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
    if (url.pathname === '/api/v1/nodes')
      return send(200, {
        kind: 'NodeList',
        apiVersion: 'v1',
        metadata: {},
        items: visible(state).map((s) => node(state, s)),
      });
    const status = /^\/api\/v1\/nodes\/([^/]+)\/status$/.exec(url.pathname);
    if (status && req.method === 'PATCH') {
      const s = visible(state).find((x) => x.name === status[1]);
      if (!s) return notFound();
      let raw = '';
      req.on('data', (chunk: Buffer) => {
        raw += chunk.toString('utf8');
      });
      req.on('end', () => {
        let incoming: Record<string, unknown>[];
        try {
          incoming = patchedConditions(JSON.parse(raw));
        } catch {
          return send(400, { kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
        }
        const reasonOk = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
        if (incoming.some((c) => typeof c.type !== 'string' || !reasonOk.test(String(c.reason ?? 'x'))))
          return send(422, { kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
        const merged = writtenConditions(s.name).filter((c) => !incoming.some((i) => i.type === c.type));
        writeFileSync(conditionsFile(s.name), JSON.stringify([...merged, ...incoming]));
        for (const c of incoming) logWrite(`condition ${s.name} ${c.type}=${c.status} ${c.reason}`);
        send(200, node(load(), s));
      });
      return;
    }
    const one = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname);
    if (one) {
      const s = visible(state).find((x) => x.name === one[1]);
      if (!s) return notFound();
      if (req.method === 'PATCH') {
        writeFileSync(marker('cordoned', s.name), '');
        logWrite(`cordon ${s.name}`);
      } else if (req.method === 'DELETE') {
        writeFileSync(marker('deleted', s.name), '');
        logWrite(`delete node ${s.name}`);
        return send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 });
      }
      return send(200, node(state, s));
    }
    if (url.pathname === '/api/v1/namespaces/kube-flannel/pods')
      return send(200, {
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: {},
        items: visible(state).map(flannelPod),
      });
    if (url.pathname === '/api/v1/pods') {
      const on = /^spec\.nodeName=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
      const specs = visible(state).filter((s) => on === undefined || s.name === on);
      return send(200, {
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: {},
        items: specs.flatMap((s) => [flannelPod(s), ...(s.role === 'control-plane' ? [] : [workloadPod(s)])]),
      });
    }
    const eviction = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(url.pathname);
    if (eviction && req.method === 'POST') {
      logWrite(`evict ${eviction[1]}/${eviction[2]}`);
      return send(201, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 });
    }
    const log = /^\/api\/v1\/namespaces\/kube-flannel\/pods\/kube-flannel-ds-([^/]+)\/log$/.exec(
      url.pathname,
    );
    if (log)
      return send(
        200,
        `I1124 03:00:00.300100       1 match.go:263] Using interface with name eth0\n`,
        'text/plain',
      );
    if (url.pathname === '/api/v1/namespaces/kube-flannel/configmaps/kube-flannel-cfg') {
      const override = Object.values(state.apiOverrides).find((o) => o.netConfNetwork)?.netConfNetwork;
      return send(200, {
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { name: 'kube-flannel-cfg', namespace: 'kube-flannel' },
        data: {
          'net-conf.json': JSON.stringify({
            Network: override ?? '10.244.0.0/16',
            Backend: { Type: 'vxlan' },
          }),
        },
      });
    }
    return send(404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
  },
);
const cp = load().specs[0]!;
server.listen(6443, cp.host, () => console.log(`netcheck lab apiserver stand-in on https://${cp.host}:6443`));
