import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
export type Health = () => Promise<{ ok: boolean; detail: Record<string, unknown> }>;

/** GET /healthz: 200 with `{ ok: true, … }` when healthy, else 503; never throws. */
export function healthHandler(health: Health): RouteHandler {
  return async (_req, res) => {
    let status = 503;
    let body: Record<string, unknown> = { ok: false };
    try {
      const h = await health();
      status = h.ok ? 200 : 503;
      body = { ok: h.ok, ...h.detail };
    } catch (error) {
      body = { ok: false, error: (error as Error).message };
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

/** GET /metrics: the Prometheus text exposition; a failure to render is a 500 with the reason. */
export function metricsHandler(metrics: {
  render(): Promise<string>;
  readonly contentType: string;
}): RouteHandler {
  return async (_req, res) => {
    try {
      const text = await metrics.render();
      res.writeHead(200, { 'content-type': metrics.contentType });
      res.end(text);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`metrics could not be rendered: ${(error as Error).message}\n`);
    }
  };
}

/**
 * The HTTP server of a process without a bot (NETCHECK_ROLE=worker): GET /healthz and GET /metrics
 * on PORT, nothing else. A bot serves the same routes through Bolt's receiver instead.
 */
export async function startHttpServer(
  port: number,
  routes: Readonly<Record<string, RouteHandler>>,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = req.method === 'GET' ? routes[path] : undefined;
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: GET /healthz or GET /metrics\n');
      return;
    }
    void route(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        Object.assign(
          new Error(
            `PORT=${port}: cannot listen for /healthz and /metrics (${error.code ?? error.message}); free the port or set PORT to another (0 picks a free one)`,
          ),
          { code: 'port-unavailable' },
        ),
      ),
    );
    server.listen(port, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
