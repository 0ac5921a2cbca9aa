import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ServiceUnavailableError } from '../../src/errors.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { createRedis, probeRedis } from '../../src/queues/connection.js';
import { createHarness, runOnce, type Harness } from '../support/harness.js';
import { makeCertificates, RedisProcess, scratchDir, type TestCertificates } from '../support/redis-servers.js';
import { scriptedSource } from '../support/sources.js';

const PASSWORD = 'tls-test-password';
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let certificates: TestCertificates;
let server: RedisProcess;
let harness: Harness;

/** The `redis:` section a user would write, with the password from the environment. */
function redisConfig(redis: Record<string, unknown>, env: Record<string, string> = { REDIS_PASSWORD: PASSWORD }) {
  return parseConfig({ redis }, { env }).redis;
}

beforeAll(async () => {
  scratch = await scratchDir('tls');
  certificates = await makeCertificates(path.join(scratch.dir, 'pki'));
  server = await RedisProcess.start(
    path.join(scratch.dir, 'redis'),
    ['--tls-cert-file', certificates.certFile, '--tls-key-file', certificates.keyFile, '--tls-ca-cert-file', certificates.caFile, '--tls-auth-clients', 'no', '--requirepass', PASSWORD],
    { probe: { tls: { ca: readFileSync(certificates.caFile) }, password: PASSWORD } },
  );
  const config = redisConfig({ url: `rediss://localhost:${server.port}`, tls: { caFile: certificates.caFile }, password: { env: 'REDIS_PASSWORD' } });
  harness = await createHarness({}, { connection: createRedis(config, 'worker') });
  harness.startWorkers([scriptedSource('SPA', [100]), scriptedSource('UPCTM', [200])]);
}, 60_000);

afterAll(async () => {
  // The servers stop even when closing the harness fails: a leftover redis-server outlives the test.
  try {
    await harness.close();
  } finally {
    await server.down();
    await scratch.remove();
  }
});

async function refusal(config: ReturnType<typeof redisConfig>): Promise<ServiceUnavailableError> {
  const error = await probeRedis(config, harness.config.queue.prefix, 2000).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ServiceUnavailableError);
  return error as ServiceUnavailableError;
}

describe('Redis over TLS with a private CA', () => {
  it('counts over rediss:// trusting redis.tls.caFile, with the password from a secret reference', async () => {
    const run = await runOnce(harness);
    expect(run.run.status).toBe(RUN_STATUS.success);
    expect(run.total?.total).toBe(300);
  });

  it('says to set redis.tls.caFile when the server\'s CA is not trusted (instead of "Connection is closed.")', async () => {
    const untrusted = await refusal(redisConfig({ url: `rediss://localhost:${server.port}`, password: { env: 'REDIS_PASSWORD' } }));
    expect(untrusted.hint).toMatch(/redis\.tls\.caFile/);
    const otherCa = await refusal(redisConfig({ url: `rediss://localhost:${server.port}`, tls: { caFile: certificates.otherCaFile }, password: { env: 'REDIS_PASSWORD' } }));
    expect(otherCa.hint).toMatch(/redis\.tls\.caFile/);
  });

  it('says to set redis.tls.servername when the certificate names another host', async () => {
    const error = await refusal(redisConfig({ url: `rediss://localhost:${server.port}`, tls: { caFile: certificates.caFile, servername: 'redis.example.org' }, password: { env: 'REDIS_PASSWORD' } }));
    expect(error.hint).toMatch(/redis\.tls\.servername/);
  });

  it('says to set redis.password when Redis requires one, and to check it when it is wrong', async () => {
    const missing = await refusal(redisConfig({ url: `rediss://localhost:${server.port}`, tls: { caFile: certificates.caFile } }));
    expect(missing.message).toMatch(/NOAUTH/);
    expect(missing.hint).toMatch(/set redis\.password/);
    const wrong = await refusal(redisConfig({ url: `rediss://localhost:${server.port}`, tls: { caFile: certificates.caFile }, password: { env: 'REDIS_PASSWORD' } }, { REDIS_PASSWORD: 'not-it' }));
    expect(wrong.hint).toMatch(/check redis\.username and redis\.password/);
  });
});
