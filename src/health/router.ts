import express from 'express';
import { readinessChecks, type HealthDeps } from './checks.js';

/** `/livez`: the process answers. `/readyz`: it can work, with what failed when it cannot. */
export function healthRouter(deps: HealthDeps): express.Router {
  const router = express.Router();
  router.get('/livez', (_request, response) => void response.json({ status: 'ok' }));
  router.get('/readyz', async (_request, response) => {
    const checks = await readinessChecks(deps);
    const ready = checks.every((check) => check.ok);
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  return router;
}
