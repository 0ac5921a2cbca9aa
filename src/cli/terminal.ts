import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { InputError } from '../errors.js';

/**
 * Asks each prompt in turn and reads one line from stdin for it, without echo on a terminal; from
 * a pipe, one line per prompt. One reader for all the prompts: a reader per prompt would keep the
 * lines it had buffered past its own, and the next prompt would wait for input that never comes.
 */
export async function readSecretsFromTerminal(prompts: readonly string[]): Promise<string[]> {
  const muted = new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  const reader = createInterface({ input: process.stdin, output: muted, terminal: Boolean(process.stdin.isTTY) });
  const lines = reader[Symbol.asyncIterator]();
  try {
    const answers: string[] = [];
    for (const prompt of prompts) {
      process.stderr.write(prompt);
      const line = await lines.next();
      process.stderr.write('\n');
      if (line.done) {
        throw new InputError('the input ended before the password was given', [], { hint: 'type it at the prompt, or pipe it in with one line per prompt' });
      }
      answers.push(line.value);
    }
    return answers;
  } finally {
    reader.close();
  }
}
