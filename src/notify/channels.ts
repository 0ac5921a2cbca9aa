import { createHmac } from 'node:crypto';
import type { Config } from '../config/load.js';
import { describeAlert, type AlertEvent } from './events.js';

export type AlertChannel = Config['alerts']['channels'][number];

/** A delivery failure; `permanent` ones (4xx but 429) are not retried. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export interface DeliveryContext {
  /** Dashboard base URL for "open the run" links, when configured. */
  publicUrl?: string | undefined;
  timeoutMs?: number;
}

export const SIGNATURE_HEADER = 'x-jobtally-signature';

function runUrl(event: AlertEvent, context: DeliveryContext): string | undefined {
  if (!context.publicUrl) return undefined;
  const base = context.publicUrl.replace(/\/$/, '');
  if ('runName' in event) return `${base}/runs/${event.runName}`;
  return event.kind === 'forecast-breach' ? `${base}/insight?client=${encodeURIComponent(event.client)}` : `${base}/runs?client=${encodeURIComponent(event.client)}`;
}

/** The body each channel type expects: generic JSON, a Teams MessageCard, a Slack message. */
export function payloadFor(channel: AlertChannel, event: AlertEvent, context: DeliveryContext): unknown {
  const { title, text, severity } = describeAlert(event);
  const link = runUrl(event, context);
  switch (channel.type) {
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: title,
        themeColor: severity === 'critical' ? 'B3261E' : 'E3A008',
        title,
        text,
        ...(link ? { potentialAction: [{ '@type': 'OpenUri', name: 'Open in jobtally', targets: [{ os: 'default', uri: link }] }] } : {}),
      };
    case 'slack':
      return { text: `*${title}*\n${text}${link ? `\n<${link}|Open in jobtally>` : ''}` };
    default:
      return { event, title, text, severity, ...(link ? { url: link } : {}) };
  }
}

async function post(url: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new DeliveryError(`cannot reach the channel: ${fetchFailure(error, timeoutMs)}`, false, { cause: error });
  }
  if (response.ok) return;
  const permanent = response.status >= 400 && response.status < 500 && response.status !== 429;
  throw new DeliveryError(`the channel answered HTTP ${response.status}`, permanent);
}

/**
 * Why a fetch failed. Node's fetch says only "fetch failed" and keeps the reason (connect
 * ECONNREFUSED 127.0.0.1:9, getaddrinfo ENOTFOUND) in its cause; a timeout is an abort.
 */
function fetchFailure(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/** Sends one alert on one channel; throws DeliveryError when it did not go through. */
export async function deliver(channel: AlertChannel, event: AlertEvent, context: DeliveryContext = {}): Promise<void> {
  const timeoutMs = context.timeoutMs ?? 10_000;
  if (channel.type === 'email') {
    const { title, text } = describeAlert(event);
    const link = runUrl(event, context);
    // Loaded on first use: most installs have no email channel, and it is 15 MB of memory.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: channel.smtp.host,
      port: channel.smtp.port,
      secure: channel.smtp.secure,
      connectionTimeout: timeoutMs,
      ...(channel.smtp.user ? { auth: { user: channel.smtp.user, pass: channel.smtp.password?.reveal() ?? '' } } : {}),
    });
    try {
      await transport.sendMail({ from: channel.from, to: channel.to, subject: title, text: link ? `${text}\n\n${link}\n` : `${text}\n` });
    } catch (error) {
      const code = (error as { responseCode?: unknown }).responseCode;
      throw new DeliveryError(`SMTP delivery failed: ${error instanceof Error ? error.message : String(error)}`, typeof code === 'number' && code >= 500);
    } finally {
      transport.close();
    }
    return;
  }
  const body = payloadFor(channel, event, context);
  const headers: Record<string, string> = {};
  if (channel.type === 'webhook' && channel.hmacSecret) {
    headers[SIGNATURE_HEADER] = `sha256=${createHmac('sha256', channel.hmacSecret.reveal()).update(JSON.stringify(body)).digest('hex')}`;
  }
  await post(channel.url.reveal(), body, headers, timeoutMs);
}
