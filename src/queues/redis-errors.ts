/**
 * What a Redis error means for jobtally and what to fix. Pure: the readiness checks, `doctor` and
 * start-up all explain errors the same way.
 */
export interface RedisErrorExplanation {
  detail: string;
  advice: string;
}

const RULES: { test: RegExp; advice: string }[] = [
  {
    test: /^(MOVED|ASK) /,
    advice: 'this Redis is a Cluster node that does not own the queue prefix\'s slot: configure redis.cluster.nodes (any of its nodes) instead of one url',
  },
  { test: /^CLUSTERDOWN/, advice: 'the Redis Cluster is not serving every slot (a master is down with no replica to promote): check `redis-cli --cluster check HOST:PORT`' },
  { test: /^READONLY/, advice: 'this Redis is a replica: point at the master, or use redis.sentinel so the master is found again after a failover' },
  { test: /^TRYAGAIN/, advice: 'the queue prefix\'s slot is being migrated: if this lasts, finish it with `redis-cli --cluster fix HOST:PORT`' },
  { test: /^NOAUTH|Authentication required/i, advice: 'Redis requires a password: set redis.password (and redis.username for an ACL user)' },
  { test: /^WRONGPASS|invalid (username-)?password|invalid password/i, advice: 'Redis refused the credentials: check redis.username and redis.password' },
  { test: /^NOPERM/, advice: 'the ACL user lacks a permission BullMQ needs: grant it all commands on the queue prefix\'s keys (e.g. `+@all ~{jobtally}*`)' },
  { test: /^LOADING/, advice: 'Redis is loading its data after a restart: wait for it' },
  { test: /^MASTERDOWN/, advice: 'this replica lost its master: use redis.sentinel, or point at the current master' },
  { test: /No such master with that name|ERR No such master/i, advice: 'the sentinels do not monitor that master: check redis.sentinel.name' },
  { test: /All sentinels are unreachable/i, advice: 'no sentinel answered: check redis.sentinel.sentinels and that redis-sentinel runs there' },
  {
    test: /unknown command '?(exec|set|info|select)'?/i,
    advice: 'this address answers like a sentinel, not a Redis server: list it under redis.sentinel.sentinels with the master\'s name',
  },
  { test: /Failed to refresh slots cache|None of startup nodes is available/i, advice: 'no node in redis.cluster.nodes answered as a cluster node: check the addresses and that cluster mode is on' },
  {
    test: /self[- ]signed certificate|unable to (get local issuer|verify the first) certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN/i,
    advice: 'Redis\'s certificate is not signed by a CA this process trusts: set redis.tls.caFile to your CA\'s certificate',
  },
  { test: /altnames|ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate/i, advice: 'Redis\'s certificate names another host: set redis.tls.servername to the name it carries' },
  { test: /certificate required|alert.*(handshake|certificate)/i, advice: 'Redis requires a client certificate: set redis.tls.certFile and redis.tls.keyFile' },
  { test: /wrong version number|packet length too long|ECONNRESET.*tls/i, advice: 'TLS on one side only: use rediss:// or redis.tls only if the server listens with TLS' },
  { test: /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|connect ETIMEDOUT|no answer within/i, advice: 'nothing answers there: check the redis: section (or REDIS_URL) and that Redis is up' },
];

const DEFAULT_ADVICE = 'check the redis: section (or REDIS_URL) and that Redis is up';

export function explainRedisError(error: unknown): RedisErrorExplanation {
  const detail = messageOf(error);
  const rule = RULES.find(({ test }) => test.test(detail));
  return { detail, advice: rule?.advice ?? DEFAULT_ADVICE };
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error && typeof error.code === 'string' && !error.message.includes(error.code) ? ` (${error.code})` : '';
  return `${error.message}${code}`;
}
