/**
 * Node names typed in Slack are untrusted. A name is accepted only if it is a DNS-1123 subdomain
 * (what Kubernetes allows for node names) and present in the inventory; the inventory entry — not
 * the text the user typed — is what later reaches SSH.
 */
const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);

export function isDns1123Subdomain(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 253 &&
    DNS1123_SUBDOMAIN.test(name) &&
    !name.split('.').some((l) => l.length > 63)
  );
}

/** Levenshtein distance, small inputs only (node names). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      prev[j] = Math.min(above + 1, prev[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return prev[b.length]!;
}

/** Up to `limit` inventory names that look like what the user meant, best first. */
export function closeMatches(input: string, names: readonly string[], limit = 3): string[] {
  const needle = input.toLowerCase();
  return names
    .map((name) => {
      const distance = editDistance(needle, name);
      const related = name.includes(needle) || needle.includes(name);
      return { name, score: related ? Math.min(distance, 1) : distance };
    })
    .filter(({ name, score }) => score <= Math.max(2, Math.floor(name.length / 3)))
    .sort((x, y) => x.score - y.score || x.name.localeCompare(y.name))
    .slice(0, limit)
    .map(({ name }) => name);
}
