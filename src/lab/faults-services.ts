import type { FaultFamily } from './fault-impl.js';
import { startApiServer, stopApiServer } from './lab-apiserver.js';
import { startSshd, stopSshd } from './lab-sshd.js';

/** Faults that stop a process: the API stand-in on the control plane, a node's sshd. */
export const SERVICE_FAULTS = {
  'apiserver-down': {
    controlPlaneOnly: true,
    add: (state) => stopApiServer(state),
    clear: (state) => startApiServer(state),
  },
  'node-unreachable': {
    add: (state, node) => stopSshd(state, node),
    clear: (state, node) => startSshd(state, node),
  },
} satisfies FaultFamily;
