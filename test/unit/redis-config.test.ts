import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { describeRedisTarget } from '../../src/config/redis.js';
import { ConfigError } from '../../src/errors.js';
import { explainRedisError } from '../../src/queues/redis-errors.js';

function configError(raw: unknown, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig(raw, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('redis: config', () => {
  it('is local by default, and REDIS_URL keeps working (its password masked when printed)', () => {
    expect(parseConfig({}).redis.target).toEqual({ kind: 'auto' });
    const fromEnv = parseConfig({}, { env: { REDIS_URL: 'redis://:pw@cache:6380/2' } }).redis;
    expect(fromEnv.target.kind).toBe('url');
    expect(describeRedisTarget(fromEnv)).toBe('redis://:***@cache:6380/2');
  });

  it('reads a cluster, sentinels, TLS files and credentials as secret references', () => {
    const env = { REDIS_USER: 'jobtally', REDIS_PASSWORD: 'pw', SENTINEL_PASSWORD: 'spw' };
    const cluster = parseConfig({ redis: { cluster: { nodes: ['redis-1:6379', '10.0.0.2:7000'] }, tls: { caFile: '/etc/ca.crt', servername: 'redis' }, username: { env: 'REDIS_USER' }, password: { env: 'REDIS_PASSWORD' } } }, { env }).redis;
    expect(cluster.target).toEqual({ kind: 'cluster', nodes: [{ host: 'redis-1', port: 6379 }, { host: '10.0.0.2', port: 7000 }] });
    expect([cluster.username?.reveal(), cluster.password?.reveal(), cluster.tls?.caFile]).toEqual(['jobtally', 'pw', '/etc/ca.crt']);
    expect(describeRedisTarget(cluster)).toBe('cluster redis-1:6379,10.0.0.2:7000 (TLS)');
    const sentinel = parseConfig({ redis: { sentinel: { sentinels: ['s1:26379'], name: 'main', password: { env: 'SENTINEL_PASSWORD' } } } }, { env }).redis;
    expect(sentinel.target).toMatchObject({ kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], name: 'main' });
    expect(describeRedisTarget(sentinel)).toBe('sentinel master main via s1:26379');
  });

  it('refuses two ways at once, a password in the url, a plaintext password, half a client certificate, REDIS_URL with a cluster', () => {
    expect(configError({ redis: { url: 'redis://a:1', cluster: { nodes: ['b:2'] } } }).issues[0]?.message).toMatch(/one of url, cluster or sentinel/);
    expect(configError({ redis: { url: 'redis://user:secret@a:1' } }).issues[0]?.message).toMatch(/no password in url/);
    expect(configError({ redis: { url: 'redis://a:1', password: 'secret' } }).issues[0]?.message).toMatch(/plaintext secrets/);
    expect(configError({ redis: { url: 'redis://a:1', tls: { certFile: '/c.crt' } } }).issues[0]?.message).toMatch(/certFile and keyFile/);
    expect(configError({ redis: { cluster: { nodes: ['b'] } } }).issues[0]?.message).toMatch(/host:port/);
    expect(configError({ redis: { cluster: { nodes: ['b:2'] } } }, { REDIS_URL: 'redis://a:1' }).issues[0]).toMatchObject({ path: 'redis.cluster', message: expect.stringMatching(/REDIS_URL/) as unknown });
  });
});

describe('explainRedisError', () => {
  it.each([
    ['MOVED 5798 127.0.0.1:7001', /redis\.cluster\.nodes/],
    ['CLUSTERDOWN The cluster is down', /--cluster check/],
    ['READONLY You can\'t write against a read only replica.', /replica/],
    ['TRYAGAIN Multiple keys request during rehashing of slot', /--cluster fix/],
    ['NOAUTH Authentication required.', /set redis\.password/],
    ['WRONGPASS invalid username-password pair or user is disabled.', /check redis\.username and redis\.password/],
    ['NOPERM this user has no permissions to run the \'set\' command', /ACL/],
    ['ERR unknown command \'set\', with args beginning with: ', /sentinel/],
    ['All sentinels are unreachable and retry is disabled.', /redis\.sentinel\.sentinels/],
    ['self-signed certificate in certificate chain', /redis\.tls\.caFile/],
    ['Hostname/IP does not match certificate\'s altnames: Host: x. is not in the cert\'s altnames: DNS:localhost', /redis\.tls\.servername/],
    ['connect ECONNREFUSED 127.0.0.1:6390', /Redis is up/],
  ])('%s', (message, advice) => {
    expect(explainRedisError(new Error(message))).toEqual({ detail: message, advice: expect.stringMatching(advice) as unknown });
  });

  it('adds the error code when the message lacks it', () => {
    expect(explainRedisError(Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })).detail).toBe(
      'unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    );
  });
});
