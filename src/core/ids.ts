import { randomUUID } from 'node:crypto';

/** The one source of fresh ids (runs, plans, owners): created once in `main.ts`, swapped in tests. */
export interface IdSource {
  /** A new id with a readable prefix, e.g. `plan-5f0c…`. */
  next(prefix: string): string;
}

export const randomIds: IdSource = {
  next: (prefix) => `${prefix}-${randomUUID()}`,
};

/** Predictable ids for tests: `plan-1`, `plan-2`, … */
export function sequentialIds(): IdSource {
  let n = 0;
  return { next: (prefix) => `${prefix}-${++n}` };
}
