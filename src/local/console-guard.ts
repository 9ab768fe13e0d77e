import type { IncomingHttpHeaders } from 'node:http';

/**
 * Why the local console refuses a request, or undefined (pure). The console can approve fixes, so:
 * the Host must be the console's own loopback name (a DNS-rebinding page gets its own host name
 * here), and a POST must come from the console's own page: same Origin and a JSON body (which no
 * cross-site form can send without a CORS preflight the console never answers).
 */
export function consoleRequestProblem(
  req: { readonly method?: string | undefined; readonly headers: IncomingHttpHeaders },
  port: number,
): string | undefined {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (!hosts.includes(req.headers.host ?? ''))
    return `unexpected Host ${JSON.stringify(req.headers.host ?? '')}: open the console at http://localhost:${port}`;
  if (req.method !== 'POST') return undefined;
  const origin = req.headers.origin;
  if (!origin || !hosts.some((h) => origin === `http://${h}`))
    return `cross-origin request refused (Origin ${JSON.stringify(origin ?? '')}): only the console's own page may post`;
  if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
    return 'expected a JSON body (content-type: application/json)';
  return undefined;
}
