import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export interface ScratchDatabase {
  /** The new database's URL: the server's URL with its name. */
  url: string;
  /** Drops it, connections and all. */
  drop(): Promise<void>;
}

/** A new, empty database on the server at `serverUrl`, for one benchmark part, dropped after it. */
export async function createScratchDatabase(serverUrl: string, stem = 'jobtally_bench'): Promise<ScratchDatabase> {
  const name = `${stem}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
