import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/persistence/db.js';
import { createTestDatabase, withDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../support/db.js';

/**
 * A proxy to Postgres that drops a connection the moment its client asks about pg_catalog.pg_type,
 * which is what postgres.js does on each new connection unless told not to. A connection lost at
 * that moment left a rejected promise nobody handled, and the process died (the fault suite's
 * "Postgres cut" scenario found it about one run in three).
 */
async function typeQueryKillingProxy(): Promise<{ port: number; kills: () => number; close(): Promise<void> }> {
  const target = new URL(TEST_POSTGRES_URL);
  let kills = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes('pg_catalog.pg_type')) {
        kills++;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
  return {
    port: address.port,
    kills: () => kills,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let database: TestDatabase;
let proxy: Awaited<ReturnType<typeof typeQueryKillingProxy>>;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  proxy = await typeQueryKillingProxy();
});
afterAll(async () => {
  await proxy.close();
  await database.drop();
});

describe('a connection lost while it is being set up', () => {
  it('never leaves a rejection unhandled: the database opens and answers through the proxy', async () => {
    const url = new URL(withDatabase(TEST_POSTGRES_URL, database.name));
    url.port = String(proxy.port);
    let handle: DatabaseHandle | undefined;
    try {
      handle = await openDatabase({ url: url.toString(), dataDir: '/nonexistent', maxConnections: 3 });
      await Promise.all([handle.ping(), handle.ping(), handle.ping()]);
    } finally {
      await handle?.close();
    }
    expect(proxy.kills()).toBe(0);
  });
});
