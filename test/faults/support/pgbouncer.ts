import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from '../../support/redis-servers.js';
import { waitFor } from '../../support/wait.js';

/** A real PgBouncer in transaction mode in front of `upstream`, with a pool of `poolSize` backends. */
export class PgBouncer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(upstream: string, poolSize = 2): Promise<PgBouncer> {
    const target = new URL(upstream);
    const dir = await mkdtemp(path.join(tmpdir(), 'jobtally-pgbouncer-'));
    const port = await freePort();
    const ini = path.join(dir, 'pgbouncer.ini');
    const users = path.join(dir, 'users.txt');
    await writeFile(users, `"${decodeURIComponent(target.username)}" ""\n`);
    await writeFile(
      ini,
      [
        '[databases]',
        `* = host=${target.hostname} port=${target.port || '5432'}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${users}`,
        'pool_mode = transaction',
        `default_pool_size = ${poolSize}`,
        'max_client_conn = 500',
        'ignore_startup_parameters = extra_float_digits,options',
        '',
      ].join('\n'),
    );
    // PgBouncer refuses to run as root: CI runs as root, so it switches to the postgres user.
    await chmod(dir, 0o755);
    const asRoot = process.getuid?.() === 0;
    const child = spawn('pgbouncer', [...(asRoot ? ['-u', 'postgres'] : []), ini], { stdio: 'ignore' });
    const bouncer = new PgBouncer(child, dir, port);
    await waitFor('pgbouncer to accept connections', async () => {
      const client = postgres(bouncer.url(target.pathname.slice(1) || 'postgres', upstream), { max: 1, connect_timeout: 1, prepare: false, onnotice: () => undefined });
      try {
        await client`select 1`;
        return true;
      } catch {
        return false;
      } finally {
        await client.end({ timeout: 1 });
      }
    }, 15_000, 100);
    return bouncer;
  }

  /** `upstream`'s URL, through this pooler, for `database`. */
  url(database: string, upstream: string): string {
    const through = new URL(upstream);
    through.host = `127.0.0.1:${this.port}`;
    through.pathname = `/${database}`;
    return through.toString();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
