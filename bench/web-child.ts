/**
 * The web role in a process of its own, as `jobtally start --role web` runs it, so the load
 * generator (autocannon, in the bench process) does not share its event loop. Prints one JSON line
 * with the URL, serves until SIGTERM, then closes.
 */
import { pino } from 'pino';
import { startWebServer } from '../src/http/server.js';
import { openApp } from '../src/lifecycle/app.js';
import { historyConfig, type HistoryServices } from './history-at-scale.js';

const config = historyConfig(JSON.parse(process.argv[2] ?? '{}') as HistoryServices);
const app = await openApp(config, pino({ level: 'warn' }), { migrate: false, redisRole: 'producer', web: true });
const web = await startWebServer(app);
process.once('SIGTERM', () => {
  void web
    .close()
    .then(() => app.close())
    .then(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ url: web.url })}\n`);
