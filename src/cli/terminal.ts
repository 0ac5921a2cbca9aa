import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** Reads one line from stdin without echoing it (passwords); plain read when stdin is not a TTY. */
export function readSecretFromTerminal(prompt: string): Promise<string> {
  const muted = new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, output: muted, terminal: Boolean(process.stdin.isTTY) });
  return new Promise((resolve) => {
    rl.once('line', (line) => {
      rl.close();
      process.stderr.write('\n');
      resolve(line);
    });
  });
}
