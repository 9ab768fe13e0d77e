/**
 * Joins Prometheus text expositions into one where every metric family appears once: BullMQ's
 * export of each queue repeats the same `# HELP`/`# TYPE` lines, and Prometheus refuses a second
 * TYPE line for a name. Families keep their first HELP/TYPE and gather all their samples, in the
 * order first seen.
 */
export function mergeExposition(texts: readonly string[]): string {
  const families = new Map<string, { meta: string[]; samples: string[] }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { meta: [], samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const text of texts) {
    // The family of a sample: the last TYPE'd name it starts with (histogram _bucket/_sum/_count).
    let current = '';
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
      if (meta) {
        const name = meta[2]!;
        current = name;
        const f = family(name);
        if (!f.meta.some((m) => m.startsWith(`# ${meta[1]} `))) f.meta.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '';
      family(current && name.startsWith(current) ? current : name).samples.push(line);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) out.push(...f.meta, ...f.samples);
  return `${out.join('\n')}\n`;
}
