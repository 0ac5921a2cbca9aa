import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis, type RedisOptions as IoRedisOptions } from 'ioredis';
import { waitFor } from './wait.js';

const run = promisify(execFile);

type RedisOptions = Omit<IoRedisOptions, 'replyMapping'>;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** One `redis-server` (or sentinel) process started by a test, in a directory of its own. */
export class RedisProcess {
  #process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
    private readonly configFile: string | undefined,
  ) {}

  /** `probe` connects the way the server expects (TLS...); `configFile` is a sentinel's. */
  static async start(dir: string, args: string[] = [], options: { probe?: RedisOptions; configFile?: string } = {}): Promise<RedisProcess> {
    await mkdir(dir, { recursive: true });
    const server = new RedisProcess(await freePort(), dir, ['--bind', '127.0.0.1', '--dir', dir, '--save', '', ...args], options.configFile);
    await server.up(options.probe);
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async up(probe: RedisOptions = {}): Promise<void> {
    const tls = probe.tls !== undefined;
    const portArgs = tls ? ['--port', '0', '--tls-port', String(this.port)] : ['--port', String(this.port)];
    this.#process = spawn('redis-server', [...(this.configFile ? [this.configFile] : []), ...portArgs, ...this.args], { stdio: 'ignore' });
    await waitFor(`redis-server on ${this.port} to answer`, async () => {
      const client = new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...probe });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    }, 10_000, 50);
  }

  async down(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const process = this.#process;
    if (!process || process.exitCode !== null || process.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => process.once('exit', () => resolve()));
    process.kill(signal);
    await exited;
    this.#process = undefined;
  }

  client(options: RedisOptions = {}): Redis {
    const client = new Redis({ host: '127.0.0.1', port: this.port, maxRetriesPerRequest: 1, ...options });
    client.on('error', () => undefined);
    return client;
  }
}

/** A scratch directory removed by `remove()`. */
export async function scratchDir(name: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `jobtally-${name}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface LocalCluster {
  masters: RedisProcess[];
  nodes: string[];
  stop(): Promise<void>;
}

/** Three masters, no replicas, slots spread by `redis-cli --cluster create`. */
export async function startCluster(dir: string, masters = 3): Promise<LocalCluster> {
  const servers = await Promise.all(
    Array.from({ length: masters }, (_, index) =>
      RedisProcess.start(path.join(dir, `node-${index}`), ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000', '--appendonly', 'no']),
    ),
  );
  const stop = async () => {
    await Promise.all(servers.map((server) => server.down()));
  };
  try {
    await run('redis-cli', ['--cluster', 'create', ...servers.map((server) => server.address), '--cluster-replicas', '0', '--cluster-yes']);
    await waitForClusterState(servers, 'ok');
  } catch (error) {
    await stop();
    throw error;
  }
  return { masters: servers, nodes: servers.map((server) => server.address), stop };
}

export async function waitForClusterState(servers: RedisProcess[], state: 'ok' | 'fail', timeoutMs = 15_000): Promise<void> {
  await waitFor(`cluster_state:${state}`, async () => {
    const states = await Promise.all(
      servers.map(async (server) => {
        const client = server.client({ maxRetriesPerRequest: 0, retryStrategy: () => null });
        try {
          return /cluster_state:(\w+)/.exec(await client.cluster('INFO'))?.[1];
        } catch {
          return undefined;
        } finally {
          client.disconnect();
        }
      }),
    );
    return states.every((found) => found === undefined || found === state) && states.some((found) => found === state);
  }, timeoutMs, 100);
}

/** The cluster node that does not own `key`'s slot, and the one that does. */
export async function slotOwners(cluster: LocalCluster, key: string): Promise<{ owner: RedisProcess; other: RedisProcess }> {
  const client = cluster.masters[0]?.client();
  if (!client) throw new Error('no cluster node');
  try {
    const slot = await client.cluster('KEYSLOT', key);
    const ranges = await client.cluster('SLOTS');
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    const owner = cluster.masters.find((server) => server.port === range?.[2]?.[1]);
    const other = cluster.masters.find((server) => server !== owner);
    if (!owner || !other) throw new Error(`no owner found for slot ${slot}`);
    return { owner, other };
  } finally {
    client.disconnect();
  }
}

export interface SentinelGroup {
  master: RedisProcess;
  replica: RedisProcess;
  sentinel: RedisProcess;
  name: string;
  stop(): Promise<void>;
}

/** A master, its replica and one sentinel (quorum 1) that fails over after a second. */
export async function startSentinelGroup(dir: string, name = 'jobtally'): Promise<SentinelGroup> {
  const master = await RedisProcess.start(path.join(dir, 'master'), ['--appendonly', 'yes']);
  const replica = await RedisProcess.start(path.join(dir, 'replica'), ['--appendonly', 'yes', '--replicaof', '127.0.0.1', String(master.port)]);
  const sentinelDir = path.join(dir, 'sentinel');
  await mkdir(sentinelDir, { recursive: true });
  const conf = path.join(sentinelDir, 'sentinel.conf');
  await writeFile(conf, [`sentinel monitor ${name} 127.0.0.1 ${master.port} 1`, `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 5000`, ''].join('\n'));
  const sentinel = await RedisProcess.start(sentinelDir, ['--sentinel'], { configFile: conf });
  const all = [sentinel, replica, master];
  return {
    master,
    replica,
    sentinel,
    name,
    async stop() {
      for (const server of all) await server.down();
    },
  };
}

export interface TestCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the server. */
  otherCaFile: string;
}

/** A private CA and a server certificate for `localhost` and 127.0.0.1, made with openssl. */
export async function makeCertificates(dir: string): Promise<TestCertificates> {
  await mkdir(dir, { recursive: true });
  const at = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => run('openssl', args);
  for (const ca of ['ca', 'other-ca']) {
    await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=jobtally test ${ca}`, '-keyout', at(`${ca}.key`), '-out', at(`${ca}.crt`));
  }
  await writeFile(at('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', at('server.key'), '-out', at('server.csr'));
  await ssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', at('server.ext'), '-out', at('server.crt'));
  return { caFile: at('ca.crt'), certFile: at('server.crt'), keyFile: at('server.key'), otherCaFile: at('other-ca.crt') };
}
