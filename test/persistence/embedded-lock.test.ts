import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../src/errors.js';
import { lockEmbeddedDatabase } from '../../src/persistence/embedded-lock.js';

const dir = mkdtempSync(path.join(tmpdir(), 'jt-lock-'));
const children: { kill(): boolean }[] = [];
afterAll(() => {
  for (const child of children) child.kill();
});

let counter = 0;
const lockPath = () => path.join(dir, `pgdata-${++counter}.lock`);

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('the embedded database lock', () => {
  it('lets one holder in, refuses a second open even in the same process, and frees on release', () => {
    const file = lockPath();
    const listeners = process.listenerCount('exit');
    const lock = lockEmbeddedDatabase(file, '/data/pgdata');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(() => lockEmbeddedDatabase(file, '/data/pgdata')).toThrow(
      expect.objectContaining({ constructor: ServiceUnavailableError, message: expect.stringContaining(`embedded database at /data/pgdata is in use by jobtally process ${process.pid}`) }),
    );
    lock.release();
    lock.release();
    expect(existsSync(file)).toBe(false);
    expect(process.listenerCount('exit')).toBe(listeners);
    lockEmbeddedDatabase(file, '/data/pgdata').release();
  });

  it('names a live holder from another process and how to go on, and never takes its lock', async () => {
    const file = lockPath();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(child);
    writeFileSync(file, JSON.stringify({ pid: child.pid, command: 'start --role all', since: '2026-12-04T03:00:00.000Z' }));
    let refused: unknown;
    try {
      lockEmbeddedDatabase(file, '/data/pgdata');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ServiceUnavailableError);
    const described = (refused as ServiceUnavailableError).describe();
    expect(described).toContain(`in use by jobtally process ${child.pid} (start --role all) since 2026-12-04T03:00:00.000Z`);
    expect(described).toContain('use the dashboard or API of the running service, or stop it first');
    expect(described).toContain(`delete ${file}`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: child.pid });

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
    const lock = lockEmbeddedDatabase(file, '/data/pgdata');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('takes over the lock of a process that is gone, or a file that is not a lock', () => {
    for (const content of [JSON.stringify({ pid: deadPid(), command: 'start', since: '' }), '', 'not json']) {
      const file = lockPath();
      writeFileSync(file, content);
      const lock = lockEmbeddedDatabase(file, '/data/pgdata');
      expect(JSON.parse(readFileSync(file, 'utf8')), content).toMatchObject({ pid: process.pid });
      lock.release();
      expect(existsSync(`${file}.takeover`)).toBe(false);
    }
  });

  it('leaves a takeover in progress to the process doing it', () => {
    const file = lockPath();
    writeFileSync(file, JSON.stringify({ pid: deadPid() }));
    writeFileSync(`${file}.takeover`, '{}');
    expect(() => lockEmbeddedDatabase(file, '/data/pgdata')).toThrow(/is being opened by another jobtally process/);
  });
});
