/** A parser's answer. "unknown" is never a pass: the check could not be made. */
export type Parsed<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'unknown'; readonly reason: string };

export const ok = <T>(value: T): Parsed<T> => ({ status: 'ok', value });
export const unknown = <T = never>(reason: string): Parsed<T> => ({ status: 'unknown', reason });
