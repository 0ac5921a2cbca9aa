import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { ServiceUnavailableError } from '../errors.js';

/**
 * One process at a time may open an embedded (PGlite) database. PGlite takes no lock of its own:
 * a second process that opens the same directory (a CLI command next to `jobtally start`) starts
 * its own Postgres on the same files, and the two overwrite each other's pages until the
 * directory no longer opens.
 *
 * The lock is a file holding the owner's pid, created exclusively. It is only ever taken over
 * from a process that no longer exists, never from one that is slow: a lock kept fresh by a timer
 * (proper-lockfile and the like) is judged stale when a long checkpoint blocks the event loop,
 * which is how other PGlite users have had their data directory corrupted.
 */
export interface EmbeddedLock {
  release(): void;
}

interface LockOwner {
  pid: number;
  command: string;
  since: string;
}

export function lockEmbeddedDatabase(lockPath: string, location: string): EmbeddedLock {
  const owner: LockOwner = { pid: process.pid, command: process.argv.slice(2).join(' '), since: new Date().toISOString() };
  if (!createLockFile(lockPath, owner)) {
    const holder = readOwner(lockPath);
    if (holder && isAlive(holder.pid)) throw heldError(lockPath, location, holder);
    takeOver(lockPath, location, holder, owner);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    if (readOwner(lockPath)?.pid === process.pid) removeIfPresent(lockPath);
  };
  process.once('exit', release);
  return { release };
}

/**
 * Replaces a dead owner's lock. A second file, created exclusively, makes one process at a time
 * do it: without it, two starting processes could both find the same dead pid, and the second
 * would delete the lock the first had just written.
 */
function takeOver(lockPath: string, location: string, stale: LockOwner | undefined, owner: LockOwner): void {
  const takeoverPath = `${lockPath}.takeover`;
  if (!createLockFile(takeoverPath, owner)) {
    throw new ServiceUnavailableError(`embedded database at ${location} is being opened by another jobtally process`, {
      hint: `try again; if no other jobtally process is running, delete ${takeoverPath}`,
    });
  }
  try {
    const current = readOwner(lockPath);
    if (current && current.pid !== stale?.pid && isAlive(current.pid)) throw heldError(lockPath, location, current);
    removeIfPresent(lockPath);
    if (!createLockFile(lockPath, owner)) throw heldError(lockPath, location, readOwner(lockPath));
  } finally {
    removeIfPresent(takeoverPath);
  }
}

/**
 * Creates the file with the owner in it, whole: written aside, then hard-linked into place, which
 * fails if the file exists. False when it does.
 */
function createLockFile(filePath: string, owner: LockOwner): boolean {
  const draft = `${filePath}.${process.pid}.draft`;
  writeFileSync(draft, JSON.stringify(owner));
  try {
    linkSync(draft, filePath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}

function removeIfPresent(filePath: string): void {
  try {
    unlinkSync(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function readOwner(lockPath: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockOwner>;
    return Number.isSafeInteger(owner.pid) ? { pid: owner.pid as number, command: String(owner.command ?? ''), since: String(owner.since ?? '') } : undefined;
  } catch {
    // Gone, or not a lock this code wrote (it writes whole files): no owner to wait for.
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to another user, so it may well hold the files.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function heldError(lockPath: string, location: string, holder: LockOwner | undefined): ServiceUnavailableError {
  const who = holder ? `jobtally process ${holder.pid}${holder.command ? ` (${holder.command})` : ''}${holder.since ? ` since ${holder.since}` : ''}` : 'another jobtally process';
  return new ServiceUnavailableError(`embedded database at ${location} is in use by ${who}`, {
    hint:
      'only one process can open the embedded database: use the dashboard or API of the running service, or stop it first; ' +
      `set DATABASE_URL to share a Postgres between processes. If that process is gone, delete ${lockPath}`,
  });
}
