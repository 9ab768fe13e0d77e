#!/usr/bin/env node
/**
 * `npm run build` (and `npm start`'s prestart with --if-stale): compiles src/ to dist/ with tsc,
 * marks dist/src/cli.js executable (package.json's `bin`; tsc writes files 0644, so `npx netcheck`
 * would answer "Permission denied") and writes dist/.build-stamp.
 *
 * --if-stale builds only when a file under src/ or a tsconfig is newer than the stamp, so
 * `npm start` after a `git pull` never runs old code, and a start with nothing changed costs one
 * directory walk. --on-install (npm's `prepare`, run by `npm ci` / `npm install`) is --if-stale
 * that never fails the install: with no src/ yet (the Dockerfile installs dependencies before it
 * copies the sources) or no TypeScript (`npm ci --omit=dev`) it says why it skipped and exits 0.
 *
 * Plain JavaScript on purpose: it must run before anything is compiled and without tsx.
 * TypeScript is a dev dependency: a tree installed with `npm ci --omit=dev` can start only from a
 * dist/ built beforehand (the Dockerfile does that), and this script says so instead of failing
 * inside tsc.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
const cli = path.join(dist, 'src', 'cli.js');
const stamp = path.join(dist, '.build-stamp');
const onInstall = process.argv.includes('--on-install');
const ifStale = onInstall || process.argv.includes('--if-stale');

/** Newest modification time of what the build reads; 0 when there are no sources (a deployed dist). */
function newestSource() {
  const src = path.join(root, 'src');
  if (!existsSync(src)) return 0;
  let newest = 0;
  const files = readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
  for (const file of [...files, path.join(root, 'tsconfig.json'), path.join(root, 'tsconfig.build.json')]) {
    if (existsSync(file)) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

if (ifStale && existsSync(cli) && existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()) {
  process.exit(0);
}
if (!existsSync(path.join(root, 'src'))) {
  if (onInstall) {
    console.error('netcheck: no src/ yet, dist/ not built (npm start or npm run build will)');
    process.exit(0);
  }
  console.error(`netcheck: ${path.relative(root, cli)} is missing and there is no src/ to build it from`);
  process.exit(1);
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (onInstall) {
    console.error('netcheck: TypeScript not installed (--omit=dev?), dist/ not built');
    process.exit(0);
  }
  console.error(
    'netcheck: dist/ is missing or older than src/, and TypeScript is not installed (a dev dependency: ' +
      '`npm ci --omit=dev`?). Run `npm ci` (with dev dependencies) and start again, or build dist/ with ' +
      '`npm run build` where they are installed and ship it.',
  );
  process.exit(1);
}

if (ifStale) console.error('netcheck: compiling src/ to dist/ (src changed since the last build)…');
const started = Date.now();
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (result.status !== 0) {
  console.error(`netcheck: the TypeScript build failed (exit ${result.status ?? result.signal}); see above`);
  process.exit(1);
}
chmodSync(cli, 0o755);
// Stamped with the time the build started: a file saved while tsc ran counts as newer next time.
writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
utimesSync(stamp, started / 1000, started / 1000);
if (ifStale) console.error(`netcheck: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
