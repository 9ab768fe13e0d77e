import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './lab-exec.js';
import type { LabState } from './lab-state.js';

/** The openssl command for a self-signed P-256 certificate and its key (`extra`: say, an -addext). */
export function selfSignedCertCommand(
  subject: string,
  files: { key: string; cert: string },
  days: number,
  extra: readonly string[] = [],
): string[] {
  return [
    'openssl',
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    String(days),
    '-subj',
    subject,
    '-keyout',
    files.key,
    '-out',
    files.cert,
    ...extra,
  ];
}

/** A lab CA and a serving certificate for the API stand-in on the control plane's address. */
export async function makeCertificates(state: LabState): Promise<void> {
  const pki = path.join(state.stateDir, 'pki');
  await mkdir(pki, { recursive: true });
  const cp = state.specs[0]!;
  await run(
    selfSignedCertCommand(
      `/CN=netcheck-lab-${state.labId}-ca`,
      { key: path.join(pki, 'ca.key'), cert: state.caPath },
      30,
    ),
  );
  await run([
    'openssl',
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=kube-apiserver',
    '-keyout',
    path.join(pki, 'apiserver.key'),
    '-out',
    path.join(pki, 'apiserver.csr'),
  ]);
  await writeFile(
    path.join(pki, 'san.ext'),
    `subjectAltName=IP:${cp.host},DNS:kubernetes,DNS:kubernetes.default\n`,
  );
  await run([
    'openssl',
    'x509',
    '-req',
    '-in',
    path.join(pki, 'apiserver.csr'),
    '-CA',
    state.caPath,
    '-CAkey',
    path.join(pki, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    path.join(pki, 'san.ext'),
    '-out',
    path.join(pki, 'apiserver.crt'),
  ]);
}

/** A kubeconfig for the API stand-in: the lab CA and the lab's bearer token. */
export async function writeKubeconfig(state: LabState): Promise<void> {
  const ca = Buffer.from(await readFile(state.caPath)).toString('base64');
  await writeFile(
    state.kubeconfigPath,
    `apiVersion: v1
kind: Config
clusters:
- name: netcheck-lab-${state.labId}
  cluster:
    server: ${state.apiServer}
    certificate-authority-data: ${ca}
users:
- name: netcheck
  user:
    token: ${state.apiToken}
contexts:
- name: netcheck-lab
  context: { cluster: netcheck-lab-${state.labId}, user: netcheck }
current-context: netcheck-lab
`,
  );
}
