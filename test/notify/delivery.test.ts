import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { deliver, DeliveryError, type AlertChannel } from '../../src/notify/channels.js';
import type { AlertEvent } from '../../src/notify/events.js';

const event: AlertEvent = { kind: 'limit-exceeded', runName: '20261204035123', client: 'default', businessDate: '2026-12-04', total: 100, limit: 10 };
const sockets: Socket[] = [];
const servers: Server[] = [];
afterAll(() => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) server.close();
});

function webhook(url: string): AlertChannel {
  const config = parseConfig({ sources: [{ name: 'SPA', type: 'static', count: 1 }], alerts: { channels: [{ name: 'ops', type: 'webhook', url: { env: 'HOOK_URL' } }] } }, { env: { HOOK_URL: url } });
  const [channel] = config.alerts.channels;
  if (!channel) throw new Error('no channel parsed');
  return channel;
}

async function listen(onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function failure(url: string, timeoutMs?: number): Promise<DeliveryError> {
  const outcome = await deliver(webhook(url), event, timeoutMs === undefined ? {} : { timeoutMs }).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof DeliveryError)) throw new Error(`expected a DeliveryError, got ${String(outcome)}`);
  return outcome;
}

describe('a webhook that cannot be reached', () => {
  it('says why, not only "fetch failed", and is retried', async () => {
    const closed = await listen(() => undefined);
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(`http://127.0.0.1:${port}/hook`);
    expect(error.message).toBe(`cannot reach the channel: fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(error.permanent).toBe(false);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('says how long it waited when the channel never answers', async () => {
    const silent = await listen((socket) => sockets.push(socket));
    const { port } = silent.address() as AddressInfo;
    const error = await failure(`http://127.0.0.1:${port}/hook`, 200);
    expect(error.message).toBe('cannot reach the channel: no answer within 200 ms');
    expect(error.permanent).toBe(false);
  });
});
