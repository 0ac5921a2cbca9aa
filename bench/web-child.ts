/**
 * The web role in a process of its own, as `jobtally start --role web` runs it, so the load
 * generator (autocannon, in the bench process) does not share its event loop. Prints one JSON line
 * with the URL, serves until SIGTERM, then closes.
 */
import { pino } from 'pino';
import { parseConfig } from '../src/config/load.js';
import { startWebServer } from '../src/http/server.js';
import { openApp } from '../src/lifecycle/app.js';

export interface WebChildRequest {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
}

const request = JSON.parse(process.argv[2] ?? '{}') as WebChildRequest;
const config = parseConfig(
  {
    sources: [
      { name: 'SPA', type: 'static', count: 1 },
      { name: 'UPCTM', type: 'static', count: 2 },
    ],
    queue: { prefix: request.prefix },
    web: { port: 0 },
  },
  { env: { DATABASE_URL: request.databaseUrl, REDIS_URL: request.redisUrl } },
);
const app = await openApp(config, pino({ level: 'warn' }), { migrate: false, redisRole: 'producer' });
const web = await startWebServer(app);
process.once('SIGTERM', () => {
  void web
    .close()
    .then(() => app.close())
    .then(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ url: web.url })}\n`);
