import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { SecretError } from '../errors.js';

export type SecretRef = { env: string } | { file: string };

/** A secret reference as parsed from the config: resolved into a `Secret` once, at load time. */
export class SecretReference {
  constructor(readonly ref: SecretRef) {}

  toJSON(): SecretRef {
    return this.ref;
  }
}

const REDACTED = '[redacted]';

/**
 * A resolved secret. It never prints itself: logs, JSON, errors and `util.inspect` all see
 * `[redacted]`; only `reveal()` hands out the value, at the point of use.
 */
export class Secret {
  readonly #value: string;

  constructor(
    value: string,
    readonly origin: string,
  ) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${this.origin})`;
  }
}

export interface SecretEnvironment {
  env: Record<string, string | undefined>;
  readFile?: (path: string) => string;
}

export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `env ${ref.env}` : `file ${ref.file}`;
}

export function resolveSecret(ref: SecretRef, environment: SecretEnvironment): Secret {
  if ('env' in ref) {
    const value = environment.env[ref.env];
    if (value === undefined || value === '') {
      throw new SecretError(`secret from environment variable ${ref.env} is not set`, {
        hint: `export ${ref.env} before starting jobtally`,
      });
    }
    return new Secret(value, describeSecretRef(ref));
  }
  const read = environment.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  try {
    return new Secret(read(ref.file).trim(), describeSecretRef(ref));
  } catch (cause) {
    throw new SecretError(`secret file ${ref.file} cannot be read`, {
      hint: 'check the path and its permissions',
      cause,
    });
  }
}

/** A connection URL fit to print: the password masked; `what` names it when it cannot be parsed. */
export function redactUrl(url: string, what: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return `(unparseable ${what} URL)`;
  }
}
