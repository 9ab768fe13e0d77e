/**
 * The oldest Node.js netcheck runs on. It is the highest `engines.node` floor among our
 * dependencies (undici 7, pulled in through our `overrides`, wants >= 20.18.1); it also covers
 * `import.meta.dirname` (20.11), which the tests use. Keep it equal to `engines.node` in
 * package.json: a unit test checks that.
 */
export const MIN_NODE_VERSION = '20.18.1';

/**
 * Returns the one line to print when `version` (as in `process.versions.node` or
 * `process.version`, e.g. `20.19.2` or `v18.19.0`) is older than `MIN_NODE_VERSION`, or when it
 * cannot be read; `undefined` when it is new enough. Pure, so that start-up can refuse at once
 * with a clear message instead of failing later inside a dependency.
 */
export function checkNodeVersion(version: string): string | undefined {
  const found = parseVersion(version);
  const need = parseVersion(MIN_NODE_VERSION)!;
  if (found && compare(found, need) >= 0) return undefined;
  const shown = found ? found.join('.') : JSON.stringify(version);
  return `netcheck needs Node.js >= ${MIN_NODE_VERSION} but found ${shown}: install Node.js 20 as README "Prerequisites" says for your system, then run npm ci again`;
}

type Triple = [number, number, number];

function parseVersion(version: string): Triple | undefined {
  // Pre-release or build suffixes (`-rc.1`, `+dfsg`) are ignored: the numbers decide.
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compare(a: Triple, b: Triple): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
