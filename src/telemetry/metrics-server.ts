import type { AddressInfo } from 'node:net';
import express from 'express';
import { healthRouter } from '../health/router.js';
import type { AppContext } from '../lifecycle/app.js';

/** `/metrics`, `/livez` and `/readyz` for roles without the web server (worker, scheduler). */
export async function startMetricsServer(app: AppContext, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = express()
    .disable('x-powered-by')
    .use(healthRouter({ connection: app.connection, queuePrefix: app.config.queue.prefix, database: app.database }))
    .use(app.metrics.router())
    .listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
