import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../src/notify/events.js';
import { QueueAlertSink, startAlertWorker } from '../../src/notify/queue-sink.js';
import { checkStaleness } from '../../src/notify/staleness.js';
import { SIGNATURE_HEADER } from '../../src/notify/channels.js';
import { QUEUE_NAMES } from '../../src/queues/names.js';
import { FakeHttpServer } from '../support/fake-http.js';
import { createHarness, type Harness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

let harness: Harness;
let receiver: FakeHttpServer;
let smtp: SMTPServer;
let worker: Worker;
let sink: QueueAlertSink;
let secrets: string;
const mails: { to: string[]; body: string }[] = [];
const HMAC_KEY = 'hmac-key-5c1d';

async function secretFile(name: string, value: string): Promise<{ file: string }> {
  const file = path.join(secrets, name);
  await writeFile(file, value);
  return { file };
}

beforeAll(async () => {
  secrets = await mkdtemp(path.join(tmpdir(), 'jobtally-alert-secrets-'));
  receiver = await FakeHttpServer.start();
  for (const route of ['/hook', '/teams', '/slack', '/broken']) receiver.route('POST', route, () => ({ status: 200, body: {} }));
  receiver.route('POST', '/broken', () => ({ status: 400, body: { error: 'bad webhook' } }));
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let body = '';
      stream.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), body });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  harness = await createHarness({
    web: { publicUrl: 'https://jobtally.example.com' },
    alerts: {
      backoffMs: 20,
      channels: [
        { name: 'ops-hook', type: 'webhook', url: await secretFile('hook', `${receiver.url}/hook`), hmacSecret: await secretFile('hmac', HMAC_KEY) },
        { name: 'teams', type: 'teams', url: await secretFile('teams', `${receiver.url}/teams`), events: ['limit-exceeded', 'near-limit'] },
        { name: 'slack', type: 'slack', url: await secretFile('slack', `${receiver.url}/slack`) },
        { name: 'broken', type: 'webhook', url: await secretFile('broken', `${receiver.url}/broken`) },
        { name: 'mail', type: 'email', smtp: { host: '127.0.0.1', port: smtpPort }, from: 'jobtally@example.com', to: ['ops@example.com'] },
      ],
    },
  });
  sink = new QueueAlertSink(harness.queueSet.queues[QUEUE_NAMES.alert], harness.config.alerts, harness.logger);
  worker = startAlertWorker({ connection: harness.connection, prefix: harness.config.queue.prefix, logger: harness.logger }, harness.config.alerts, { publicUrl: harness.config.web.publicUrl });
});
afterAll(async () => {
  await worker.close();
  await harness.close();
  await receiver.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await rm(secrets, { recursive: true, force: true });
});

const nearLimit: AlertEvent = { kind: 'near-limit', runName: '20261124101500', client: 'acme', businessDate: '2026-11-24', total: 45_000, limit: 48_500, percent: 90 };

async function settled(count: number) {
  const queue = harness.queueSet.queues[QUEUE_NAMES.alert];
  return waitFor(`${count} alert jobs to settle`, async () => {
    const counts = await queue.getJobCounts('completed', 'failed');
    return (counts.completed ?? 0) + (counts.failed ?? 0) >= count ? counts : undefined;
  }, 15_000);
}

describe('alert delivery', () => {
  it('delivers one message per channel, signed, formatted per channel, with a run link, even when one channel is broken', async () => {
    receiver.script('POST', '/slack', [{ status: 500, body: {} }]);
    await sink.send(nearLimit);
    const counts = await settled(5);
    expect(counts).toEqual({ completed: 4, failed: 1 });

    const [hook] = receiver.requestsTo('/hook');
    const signature = createHmac('sha256', HMAC_KEY).update(JSON.stringify(hook?.body)).digest('hex');
    expect(hook?.headers[SIGNATURE_HEADER]).toBe(`sha256=${signature}`);
    expect(hook?.body).toMatchObject({ event: nearLimit, severity: 'warning', url: 'https://jobtally.example.com/runs/20261124101500' });
    expect(receiver.requestsTo('/teams')[0]?.body).toMatchObject({ '@type': 'MessageCard', title: 'jobtally: acme at 92.8% of the license limit' });
    expect(receiver.requestsTo('/slack')).toHaveLength(2);
    expect((receiver.requestsTo('/slack')[1]?.body as { text: string }).text).toContain('<https://jobtally.example.com/runs/20261124101500|Open in jobtally>');
    expect(receiver.requestsTo('/broken')).toHaveLength(1);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.to).toEqual(['ops@example.com']);
    expect(mails[0]?.body).toMatch(/Subject: jobtally: acme at 92.8% of the license limit/);
  });

  it('sends the same event for the same client and day once, not at every run', async () => {
    const before = receiver.requests.length;
    await sink.send({ ...nearLimit, runName: '20261124102000', total: 45_100 });
    await sink.send({ ...nearLimit, runName: '20261124102500', total: 45_200 });
    const queue = harness.queueSet.queues[QUEUE_NAMES.alert];
    expect(await queue.getJobCounts('waiting', 'delayed', 'active')).toEqual({ waiting: 0, delayed: 0, active: 0 });
    expect(receiver.requests.length).toBe(before);
    await sink.send({ ...nearLimit, businessDate: '2026-11-25' });
    await settled(10);
    expect(receiver.requests.length).toBeGreaterThan(before);
  });

  it('respects a channel event filter', async () => {
    const teamsBefore = receiver.requestsTo('/teams').length;
    const hookBefore = receiver.requestsTo('/hook').length;
    await sink.send({ kind: 'run-failed', runName: '20261124103000', client: 'acme', businessDate: '2026-11-24', reason: 'SPA: HTTP 401' });
    await waitFor('the webhook', () => Promise.resolve(receiver.requestsTo('/hook').length > hookBefore));
    await settled(14);
    expect(receiver.requestsTo('/teams').length).toBe(teamsBefore);
  });
});

describe('staleness', () => {
  it('alerts for a client whose last success is too old, once per day', async () => {
    const run = await harness.runs.createRun({ job: 'license-count', client: 'quiet', parameters: {}, trigger: 'manual', businessDate: '2026-11-24', firstLine: 'queued' });
    await harness.writer.completeRun(run.run.id, { total: 1, limit: 48_500, counts: { SPA: 1 }, client: 'quiet', businessDate: '2026-11-24', message: 'ok', lines: [] });
    const events: AlertEvent[] = [];
    const deps = { runs: harness.runs, alerts: { send: (event: AlertEvent) => Promise.resolve(void events.push(event)) }, logger: harness.logger, staleAfterMs: 30 * 60_000, timezone: 'UTC', newDayTime: '00:00' };
    expect(await checkStaleness(deps, new Date())).toEqual([]);
    const later = new Date(Date.now() + 31 * 60_000);
    expect(await checkStaleness({ ...deps, now: () => later }, new Date())).toContain('quiet');
    expect(events.find((event) => event.client === 'quiet')).toMatchObject({ kind: 'stale', lastSuccessAt: expect.any(String) as unknown });

    events.length = 0;
    const beforeNewDay = new Date('2027-01-10T06:30:00Z');
    await checkStaleness({ ...deps, newDayTime: '07:00', now: () => beforeNewDay }, new Date());
    expect(events.find((event) => event.client === 'quiet')).toMatchObject({ kind: 'stale', businessDate: '2027-01-09' });
  });
});
