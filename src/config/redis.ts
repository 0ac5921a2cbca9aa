import { ConfigError } from '../errors.js';
import type { ConfigFile } from './schema.js';
import { redactUrl, Secret } from './secret.js';

export interface RedisNode {
  host: string;
  port: number;
}

/** How to reach Redis; `auto` is the zero-config start (127.0.0.1:6379, else a private redis-server). */
export type RedisTarget =
  | { kind: 'auto' }
  | { kind: 'url'; url: Secret }
  | { kind: 'cluster'; nodes: RedisNode[] }
  | { kind: 'sentinel'; sentinels: RedisNode[]; name: string; password: Secret | undefined };

export interface RedisTlsFiles {
  caFile: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
  servername: string | undefined;
}

export interface RedisConfig {
  target: RedisTarget;
  tls: RedisTlsFiles | undefined;
  username: Secret | undefined;
  password: Secret | undefined;
}

type RedisFileSection = NonNullable<ConfigFile['redis']>;
type ResolvedRedisSection = Omit<RedisFileSection, 'username' | 'password' | 'sentinel'> & {
  username?: Secret | undefined;
  password?: Secret | undefined;
  sentinel?: (Omit<NonNullable<RedisFileSection['sentinel']>, 'password'> & { password?: Secret | undefined }) | undefined;
};

/**
 * The `redis:` section (secrets already resolved) and REDIS_URL, which keeps working: it stands
 * for `redis.url`, and naming a cluster or sentinels as well is refused rather than guessed.
 */
export function resolveRedisConfig(section: ResolvedRedisSection | undefined, redisUrl: string | undefined, where: string): RedisConfig {
  const common = {
    tls: section?.tls ? { caFile: section.tls.caFile, certFile: section.tls.certFile, keyFile: section.tls.keyFile, servername: section.tls.servername } : undefined,
    username: section?.username,
    password: section?.password,
  };
  if (redisUrl !== undefined && (section?.cluster || section?.sentinel)) {
    throw new ConfigError(`invalid configuration in ${where}`, [
      { path: `redis.${section.cluster ? 'cluster' : 'sentinel'}`, message: 'REDIS_URL is set too: unset REDIS_URL, or remove this section' },
    ]);
  }
  if (redisUrl !== undefined) return { ...common, target: { kind: 'url', url: new Secret(redisUrl, 'env REDIS_URL') } };
  if (section?.url !== undefined) return { ...common, target: { kind: 'url', url: new Secret(section.url, 'redis.url') } };
  if (section?.cluster) return { ...common, target: { kind: 'cluster', nodes: section.cluster.nodes.map(parseNode) } };
  if (section?.sentinel) {
    const { sentinels, name, password } = section.sentinel;
    return { ...common, target: { kind: 'sentinel', sentinels: sentinels.map(parseNode), name, password } };
  }
  return { ...common, target: { kind: 'auto' } };
}

/** One Redis server at `url`, no TLS files or separate credentials. */
export function redisAtUrl(url: string, origin: string): RedisConfig {
  return { target: { kind: 'url', url: new Secret(url, origin) }, tls: undefined, username: undefined, password: undefined };
}

/** `host:port`, already checked by the schema. */
function parseNode(node: string): RedisNode {
  const at = node.lastIndexOf(':');
  return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
}

/** Where Redis is, fit to print (no password). */
export function describeRedisTarget(config: RedisConfig): string {
  const { target } = config;
  const tls = config.tls ? ' (TLS)' : '';
  switch (target.kind) {
    case 'auto':
      return 'local';
    case 'url':
      return redactUrl(target.url.reveal(), 'Redis') + tls;
    case 'cluster':
      return `cluster ${target.nodes.map((node) => `${node.host}:${node.port}`).join(',')}${tls}`;
    case 'sentinel':
      return `sentinel master ${target.name} via ${target.sentinels.map((node) => `${node.host}:${node.port}`).join(',')}${tls}`;
  }
}
