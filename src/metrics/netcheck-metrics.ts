import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { withDeadline } from '../core/deadline.js';
import { SLACK_ERROR_CODES } from '../core/slack-error-codes.js';
import { mergeExposition } from './merge-exposition.js';

/** How a `/netcheck` was answered at the ack. */
export const COMMAND_OUTCOMES = [
  'queued',
  'help',
  'invalid',
  'rate-limited',
  'redis-unavailable',
  'denied',
] as const;
export type CommandOutcome = (typeof COMMAND_OUTCOMES)[number];

/** Slack error codes worth a label of their own; any other code is counted as `other`. */
export { SLACK_ERROR_CODES };

export const VERDICTS = ['healthy', 'faulty', 'unknown'] as const;
export const STEP_OUTCOMES = ['ok', 'failed'] as const;
export const DECISIONS = ['approved', 'rejected'] as const;

/** Label vocabularies that live in higher layers (catalog ids, SSH error codes, plan states). */
export interface MetricVocabulary {
  readonly catalogIds: readonly string[];
  readonly sshErrorCodes: readonly string[];
  readonly planStates: readonly string[];
}

/**
 * Something read at scrape time (Redis gauges, BullMQ's own export). It sets gauges on the
 * registry and may return extra exposition text. `redis: true` sources decide `netcheck_redis_up`.
 */
export interface ScrapeSource {
  readonly name: string;
  readonly redis: boolean;
  collect(): Promise<string | undefined>;
}

/** A scrape's Redis reads stop waiting after this; /metrics answers with what it knows. */
export const SCRAPE_DEADLINE_MS = 1500;

const OTHER = 'other';

/** A label value from a fixed set, or `other`: no free text, node name or user ever becomes a label. */
function bounded(allowed: ReadonlySet<string>, value: unknown): string {
  return typeof value === 'string' && allowed.has(value) ? value : OTHER;
}

/**
 * The process's metrics: one registry per started netcheck (a bot and a worker in one process share
 * it, so they serve one endpoint). Events are counted where they already happen (audit appends,
 * the command ack, outbox delivery); Redis-backed gauges are read at scrape time.
 */
export class NetcheckMetrics {
  readonly registry = new Registry();
  private readonly sources: ScrapeSource[] = [];
  private readonly catalog: ReadonlySet<string>;
  private readonly sshCodes: ReadonlySet<string>;
  private readonly slackCodes = new Set<string>(SLACK_ERROR_CODES);
  private readonly outcomes = new Set<string>(COMMAND_OUTCOMES);
  private readonly verdicts = new Set<string>(VERDICTS);
  private readonly planStates: ReadonlySet<string>;

  readonly commands: Counter<'outcome'>;
  readonly diagnosisSeconds: Histogram<'verdict'>;
  readonly rootCauses: Counter<'catalog_id'>;
  readonly sshFailures: Counter<'kind'>;
  readonly probeTimeouts: Counter;
  readonly decisionSeconds: Histogram<'decision'>;
  readonly steps: Counter<'outcome'>;
  readonly slackErrors: Counter<'code'>;
  /** Set at scrape time by the Redis sources. */
  readonly plans: Gauge<'state'>;
  readonly outboxBacklog: Gauge;
  readonly mirrorLagEntries: Gauge;
  readonly mirrorLagSeconds: Gauge;
  readonly redisUp: Gauge;

  constructor(vocabulary: MetricVocabulary, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.catalog = new Set(vocabulary.catalogIds);
    this.sshCodes = new Set(vocabulary.sshErrorCodes);
    this.planStates = new Set(vocabulary.planStates);
    this.commands = new Counter({
      name: 'netcheck_commands_total',
      help: '/netcheck commands by how they were answered at the ack',
      labelNames: ['outcome'],
      registers,
    });
    this.diagnosisSeconds = new Histogram({
      name: 'netcheck_diagnosis_duration_seconds',
      help: 'Time to collect the facts of one node diagnosis over SSH and diagnose them',
      labelNames: ['verdict'],
      buckets: [0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60],
      registers,
    });
    this.rootCauses = new Counter({
      name: 'netcheck_root_causes_total',
      help: 'Root causes found by diagnoses, by failure catalog id',
      labelNames: ['catalog_id'],
      registers,
    });
    this.sshFailures = new Counter({
      name: 'netcheck_ssh_failures_total',
      help: 'SSH connections to nodes that failed, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.probeTimeouts = new Counter({
      name: 'netcheck_probe_timeouts_total',
      help: 'Probes that timed out on a node',
      registers,
    });
    this.decisionSeconds = new Histogram({
      name: 'netcheck_plan_decision_seconds',
      help: 'Time from a plan being proposed to its approval or rejection',
      labelNames: ['decision'],
      buckets: [10, 30, 60, 120, 300, 600, 900, 1800, 3600],
      registers,
    });
    this.steps = new Counter({
      name: 'netcheck_remediation_steps_total',
      help: 'Remediation steps run, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.slackErrors = new Counter({
      name: 'netcheck_slack_errors_total',
      help: 'Slack Web API calls of the outbox that failed, by Slack error code',
      labelNames: ['code'],
      registers,
    });
    this.plans = new Gauge({
      name: 'netcheck_plans',
      help: 'Plans stored in Redis, by state (read at scrape time)',
      labelNames: ['state'],
      registers,
    });
    this.outboxBacklog = new Gauge({
      name: 'netcheck_outbox_backlog',
      help: 'Slack messages waiting in the outbox (waiting, delayed, active)',
      registers,
    });
    this.mirrorLagEntries = new Gauge({
      name: 'netcheck_audit_mirror_lag_entries',
      help: 'Audit entries not yet posted to the audit channel',
      registers,
    });
    this.mirrorLagSeconds = new Gauge({
      name: 'netcheck_audit_mirror_lag_seconds',
      help: 'Age of the oldest audit entry not yet posted to the audit channel (0 when none)',
      registers,
    });
    this.redisUp = new Gauge({
      name: 'netcheck_redis_up',
      help: '1 when the last scrape could read Redis within its deadline, else 0',
      registers,
    });
    // Known label values start at 0, so rate() and alerts see a series before the first event.
    for (const o of COMMAND_OUTCOMES) this.commands.labels(o).inc(0);
    for (const k of vocabulary.sshErrorCodes) this.sshFailures.labels(k).inc(0);
    for (const o of STEP_OUTCOMES) this.steps.labels(o).inc(0);
    for (const s of vocabulary.planStates) this.plans.labels(s).set(0);
    this.probeTimeouts.inc(0);
    this.slackErrors.labels('ratelimited').inc(0);
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'netcheck_' });
  }

  command(outcome: CommandOutcome): void {
    this.commands.labels(bounded(this.outcomes, outcome)).inc();
  }

  diagnosis(verdict: unknown, seconds: number, rootCauseIds: readonly unknown[]): void {
    this.diagnosisSeconds.labels(bounded(this.verdicts, verdict)).observe(seconds);
    for (const id of rootCauseIds) this.rootCauses.labels(bounded(this.catalog, id)).inc();
  }

  sshFailure(kind: unknown): void {
    this.sshFailures.labels(bounded(this.sshCodes, kind)).inc();
  }

  slackError(code: unknown): void {
    this.slackErrors.labels(bounded(this.slackCodes, code)).inc();
  }

  /** Plans by state as counted in Redis: every known state is set (0 when absent). */
  setPlans(byState: ReadonlyMap<string, number>): void {
    const counts = new Map<string, number>([...this.planStates].map((s) => [s, 0]));
    for (const [state, n] of byState) {
      const label = bounded(this.planStates, state);
      counts.set(label, (counts.get(label) ?? 0) + n);
    }
    for (const [state, n] of counts) this.plans.labels(state).set(n);
  }

  addSource(source: ScrapeSource): void {
    this.sources.push(source);
  }

  /**
   * The exposition text. Each source gets SCRAPE_DEADLINE_MS; a source that fails or is late leaves
   * its gauges at their last values and, for Redis, sets `netcheck_redis_up 0`: a Redis outage
   * never makes /metrics hang or fail.
   */
  async render(): Promise<string> {
    const results = await Promise.allSettled(
      this.sources.map((s) => withDeadline(s.collect(), SCRAPE_DEADLINE_MS, `metrics source ${s.name}`)),
    );
    const redisSources = this.sources.filter((s) => s.redis);
    if (redisSources.length > 0) {
      const redisOk = results.every((r, i) => !this.sources[i]!.redis || r.status === 'fulfilled');
      this.redisUp.set(redisOk ? 1 : 0);
    }
    const extra = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
    return mergeExposition([await this.registry.metrics(), ...extra]);
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
