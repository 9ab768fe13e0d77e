import type { FenceLoss, FenceResult, PlanRepository, RunLease, StepStatus } from './plan-repository.js';
import type { RunTiming } from './run-timing.js';

/**
 * An executor's hold on one run: its fencing token, the lease it renews (node lock + heartbeat)
 * between step boundaries, and the checks at each boundary. Once a check fails the run is lost for
 * good: the executor finishes its current step, records what it did, and stops.
 */
export class RunFence {
  private timer: NodeJS.Timeout | undefined;
  private lostBy: FenceLoss | undefined;

  constructor(
    private readonly plans: PlanRepository,
    readonly planId: string,
    readonly token: string,
    private readonly lease: () => RunLease,
    private readonly timing: RunTiming,
  ) {}

  /** Renews lock and heartbeat every `renewEveryMs` until stop(); a renewal that finds the run lost stops renewing. */
  startRenewing(): void {
    this.timer = setInterval(() => void this.renewOnce(), this.timing.renewEveryMs);
    this.timer.unref();
  }

  stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Why the run was lost, once a renewal or a boundary check found out. */
  get lost(): FenceLoss | undefined {
    return this.lostBy;
  }

  /** The boundary check: still ours? Then step `n` is checkpointed as started and may run. */
  async claimStep(n: number): Promise<FenceResult> {
    if (this.lostBy) return this.lostBy;
    return this.note(await this.plans.claimStep(this.planId, this.token, n, this.lease()));
  }

  async markStep(n: number, status: Exclude<StepStatus, 'started'>): Promise<void> {
    await this.plans.markStep(this.planId, this.token, n, status);
  }

  /** Ends the run (never over another end, such as interrupted) and releases the node if it is still ours. */
  async finish(end: 'done' | 'failed' | 'stopped' | 'interrupted'): Promise<FenceResult> {
    this.stopRenewing();
    return this.note(await this.plans.finish(this.planId, this.token, end, this.lease()));
  }

  private async renewOnce(): Promise<void> {
    if (this.lostBy) return;
    // A failed renewal (Redis briefly away) is retried on the next tick; the boundary check decides.
    const result = await this.plans
      .renew(this.planId, this.token, this.lease())
      .catch((): FenceResult => ({ code: 'ok' }));
    this.note(result);
    if (this.lostBy) this.stopRenewing();
  }

  private note(result: FenceResult): FenceResult {
    if (result.code === 'lost') this.lostBy ??= result;
    return result;
  }
}

/** How a lost run is explained in the thread and the audit log. */
export function describeLoss(loss: FenceLoss): string {
  switch (loss.reason) {
    case 'state':
      return loss.state === 'interrupted'
        ? 'another worker marked it interrupted after its heartbeat lapsed'
        : `it is no longer running (now ${loss.state ?? 'gone'})`;
    case 'token':
      return 'another executor holds its fencing token';
    case 'lock':
      return 'its node lock lapsed or is held by another run';
  }
}
