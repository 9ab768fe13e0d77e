/**
 * The one-way flow of docs/architecture.md, enforced in `npm test` (npm run check:deps).
 * LAYERS runs top to bottom: a folder may import from its own folder and from folders further down
 * this list, never from one higher up. That also rules out every import cycle between folders;
 * `no-circular` rules out cycles between files inside one folder.
 */
const LAYERS = [
  ['^src/(main|cli)\\.ts$', '^src/local/'], // entry points and the local mode
  ['^src/roles/'], // what a bot and a worker are made of
  ['^src/slack/'], // Bolt listeners, Block Kit, delivery to Slack
  ['^src/worker/'], // the worker's use cases (a probe run)
  ['^src/queue/'], // BullMQ queues, workers, job types
  ['^src/store/'], // Redis-backed state
  ['^src/remediation/'], // runbooks, plans, executor
  ['^src/diagnosis/'], // checks, rules, findings
  ['^src/probes/'], // probe registry: key, command, parser
  ['^src/kube/', '^src/ssh/', '^src/log/'], // gateways to outside systems
  ['^src/audit/'], // audit events, hash chain, redaction (pure)
  ['^src/config/'],
  ['^src/lab/'], // the test cluster: imports nothing of the app
  ['^src/metrics/'], // the Prometheus registry and its HTTP routes
  ['^src/core/'], // clock, ids, deadlines
];

const anyOf = (patterns) => `(${patterns.join('|')})`;

const layerRules = LAYERS.slice(1).map((patterns, index) => ({
  name: `layer-${patterns[0].replace(/[^a-z]/g, '') || 'top'}`,
  comment: `${patterns.join(', ')} may not import from a folder above it (see .dependency-cruiser.cjs)`,
  severity: 'error',
  from: { path: anyOf(patterns) },
  to: { path: anyOf(LAYERS.slice(0, index + 1).flat()) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'files must not import each other in a circle',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-test',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'unlisted-folder',
      comment: 'every source folder has a place in LAYERS',
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(LAYERS.flat()) },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
