import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { createSource } from '../../src/sources/index.js';
import type { CountSource, FetchContext } from '../../src/sources/types.js';

export const SECRET_ENV = { CTM_KEY: 'key-3f9a7c', CTM_PASSWORD: 'pw-8d1e55' };

/** Builds a source the way production does: from a config entry, through the zod schema. */
export function sourceFromConfig(entry: Record<string, unknown>): CountSource {
  const config = parseConfig({ sources: [{ name: 'SPA', timeoutMs: 2000, ...entry }] }, { env: SECRET_ENV });
  const [source] = config.sources;
  if (!source) throw new Error('no source parsed');
  return createSource(source);
}

/** A fetch of the source's current day (`businessDate`); spread another `businessDate` over it for a past one. */
export function fetchContext(signal = new AbortController().signal, businessDate = new Date().toISOString().slice(0, 10)): FetchContext {
  return { signal, logger: pino({ level: 'silent' }), businessDate, currentBusinessDate: businessDate };
}
