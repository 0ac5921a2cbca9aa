/**
 * Blanks secrets out of a thrown value before it leaves a processor. BullMQ stores the message as
 * `failedReason` and the stack in `stacktrace[]` on every failed attempt, Bull Board and the API
 * show them, and loggers serialise `cause`: so every string the error carries is scrubbed, along
 * its whole `cause` chain (and an AggregateError's `errors`). The error keeps its class, so retry
 * decisions (`transient`, UnrecoverableError) are unchanged.
 */
export function redactError(error: unknown, redact: (text: string) => string): Error {
  if (!(error instanceof Error)) return new Error(redact(describeThrown(error)));
  scrubError(error, redact, new Set());
  return error;
}

function scrubError(error: Error, redact: (text: string) => string, seen: Set<Error>): void {
  if (seen.has(error)) return;
  seen.add(error);
  for (const key of Object.getOwnPropertyNames(error)) {
    const descriptor = Object.getOwnPropertyDescriptor(error, key);
    if (!descriptor?.configurable) continue;
    const value: unknown = (error as unknown as Record<string, unknown>)[key];
    const scrubbed = scrubValue(value, redact, seen);
    if (scrubbed !== value) Object.defineProperty(error, key, { value: scrubbed, writable: true, configurable: true, enumerable: descriptor.enumerable ?? false });
  }
}

function scrubValue(value: unknown, redact: (text: string) => string, seen: Set<Error>): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) {
    scrubError(value, redact, seen);
    return value;
  }
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    return items.some((item) => item instanceof Error || typeof item === 'string') ? items.map((item) => scrubValue(item, redact, seen)) : value;
  }
  // A plain object cause (a parsed error body, say) becomes its redacted text: it is shown, never used.
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) return redact(describeThrown(value));
  return value;
}

function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
