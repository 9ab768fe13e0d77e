/**
 * A configuration problem found at start-up. `problems` are complete sentences, each naming the
 * variable or the file and field, what was found and what was expected, so an operator can fix
 * every problem in one pass instead of one restart per mistake.
 */
export class ConfigError extends Error {
  readonly code = 'config-invalid';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`netcheck cannot start: configuration is invalid\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
