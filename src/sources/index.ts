import { readFileSync } from 'node:fs';
import type { SourceConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { CommandSource } from './command.js';
import { ControlmSource } from './controlm.js';
import type { TlsSettings } from './http-client.js';
import { HttpJsonSource } from './http-json.js';
import { SqlSource } from './sql.js';
import { StaticSource } from './static.js';
import type { CountSource } from './types.js';

/** Builds the adapter for one configured source; reads its CA file now so a bad path fails at start. */
export function createSource(config: SourceConfig): CountSource {
  switch (config.type) {
    case 'controlm':
      return new ControlmSource(config, readTls(config.name, config.tls));
    case 'http-json':
      return new HttpJsonSource(config, readTls(config.name, config.tls));
    case 'static':
      return new StaticSource(config);
    case 'command':
      return new CommandSource(config);
    case 'sql':
      return new SqlSource(config);
  }
}

function readTls(source: string, tls: { caFile?: string | undefined; insecure: boolean } | undefined): TlsSettings | undefined {
  if (!tls) return undefined;
  if (!tls.caFile) return { insecure: tls.insecure };
  try {
    return { ca: readFileSync(tls.caFile), insecure: tls.insecure };
  } catch (error) {
    throw new ConfigError(`source ${source}: cannot read tls.caFile ${tls.caFile}`, [{ path: `sources.${source}.tls.caFile`, message: 'file not readable' }], { cause: error });
  }
}
