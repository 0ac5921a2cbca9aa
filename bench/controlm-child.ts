/**
 * A Control-M Automation API serving one `run/jobs/status` answer of `rows` rows, in a process of
 * its own so serving it does not share the measured process's CPU. The answer is rendered once, at
 * start, into buffers: serving is then only copying bytes to the socket, so the transfer floor is
 * the machine's, not this generator's. Prints one JSON line with its endpoint, serves until SIGTERM.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { answerHead, answerRows, answerTail, type AnswerShape } from './controlm-answer.js';

/** Rows per buffer: about 85 kB, the size of the chunks a socket delivers at a time. */
const ROWS_PER_BUFFER = 128;
const shape = JSON.parse(process.argv[2] ?? '{}') as AnswerShape;

const answer: Buffer[] = [Buffer.from(answerHead())];
for (let from = 0; from < shape.rows; from += ROWS_PER_BUFFER) answer.push(Buffer.from(answerRows(shape, from, Math.min(from + ROWS_PER_BUFFER, shape.rows))));
answer.push(Buffer.from(answerTail(shape)));
const length = answer.reduce((sum, buffer) => sum + buffer.length, 0);

const server = http.createServer((request, response) => {
  if (!request.url?.startsWith('/automation-api/run/jobs/status')) {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"message":"not found"}]}');
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
  // A reader that stops early is its own business: the answer is simply dropped.
  pipeline(Readable.from(answer, { objectMode: false }), response).catch(() => undefined);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ endpoint: `http://127.0.0.1:${port}/automation-api` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
