/**
 * Rejects when `promise` has not settled within `ms`. Every call to an outside system that has no
 * deadline of its own (a hung API server, a Redis that accepts but never answers) goes through here.
 * The timer never outlives the race, so it cannot keep a process alive.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`${what}: no answer within ${ms} ms`), { code: 'deadline' })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
