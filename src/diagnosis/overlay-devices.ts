/** Devices that belong to the pod overlay: host traffic leaving through one of them has been hijacked. */
export const OVERLAY_DEVICES: ReadonlySet<string> = new Set(['flannel.1', 'cni0']);
