import nodePath from 'node:path';

/**
 * Where jobtally keeps things on disk (pure). Every path is built with the `paths` it is given
 * (`node:path` by default), so the same rules are tested with Windows' (`path.win32`) on Linux:
 * jobtally is developed on Windows and deployed on Linux.
 */
export type PathApi = Pick<typeof nodePath, 'join' | 'resolve'>;

/** What lives under the data directory: one place to back up, never inside the install folder. */
export interface DataDirLayout {
  /** The embedded Postgres (PGlite) files. */
  pgdata: string;
  /** Held by the one process that has the embedded database open. */
  pgdataLock: string;
  /** The private redis-server's files, when jobtally started one. */
  redis: string;
  /** Retention archives, unless `retention.archiveDir` says otherwise. */
  archive: string;
}

export function dataDirLayout(dataDir: string, paths: PathApi = nodePath): DataDirLayout {
  return {
    pgdata: paths.join(dataDir, 'pgdata'),
    pgdataLock: paths.join(dataDir, 'pgdata.lock'),
    redis: paths.join(dataDir, 'redis'),
    archive: paths.join(dataDir, 'archive'),
  };
}

/** The data directory: the config's `dataDir`, else JOBTALLY_DATA_DIR, else the OS default; relative ones from `cwd`. */
export function resolveDataDir(configured: string | undefined, fromEnv: string | undefined, osDefault: string, cwd: string, paths: PathApi = nodePath): string {
  return paths.resolve(cwd, configured ?? fromEnv ?? osDefault);
}

/** `--config PATH` (or JOBTALLY_CONFIG) resolved from `cwd`. */
export function explicitConfigPath(configured: string, cwd: string, paths: PathApi = nodePath): string {
  return paths.resolve(cwd, configured);
}

/** The files looked for in `cwd` when no config path is given, in order. */
export function configFileCandidates(names: readonly string[], cwd: string, paths: PathApi = nodePath): string[] {
  return names.map((name) => paths.join(cwd, name));
}
