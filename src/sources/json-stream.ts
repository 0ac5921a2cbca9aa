/** What a streamed JSON object held, once read to its end. */
export interface StreamedObject {
  /** The requested top-level fields that were present, parsed whole. */
  fields: Record<string, unknown>;
  /** How many elements the streamed array had; undefined when the object has no such array. */
  elements: number | undefined;
}

export interface StreamedObjectShape {
  /** The top-level array whose elements are handed over one by one and then dropped. */
  array: string;
  /** Top-level fields to keep (small ones: counters, error lists); every other field is skipped. */
  fields: readonly string[];
  /** Called with each element as soon as it is complete; a throw stops the reading. */
  onElement(element: unknown, index: number): void;
}

/** The bytes are not one JSON document, or the document is not the object expected. */
export class JsonShapeError extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf] as const;

const enum Step {
  BeforeRoot,
  KeyOrEnd,
  Key,
  InKey,
  Colon,
  Value,
  InValue,
  InArray,
  CommaOrEnd,
  AfterRoot,
}

const EMPTY = Buffer.alloc(0);
/** The first size of the buffer that carries an unfinished element into the next chunk. */
const CARRY_BYTES = 128 * 1024;
/**
 * The most bytes of elements parsed in one `JSON.parse`: the string it reads (two bytes a character
 * once one is not Latin-1) stays below V8's large-object size, so it dies young with the rest.
 */
const BATCH_BYTES = 32 * 1024;

/**
 * Reads one JSON object as its bytes arrive, in memory that does not grow with the answer, at the
 * speed of `JSON.parse`. A byte scanner walks the top level of the object and, inside an array,
 * tracks only string and bracket depth to find where elements end; the bytes of every complete
 * element of a chunk then go to one `JSON.parse` (which also validates them), and each element is
 * handed over and dropped. The big array is never held; other top-level values are parsed whole,
 * and skipped arrays are validated the same way, chunk by chunk, and dropped. The scanner only cuts
 * at ASCII delimiters outside strings, so UTF-8 split across chunks is decoded whole.
 *
 * Every byte of the document is either checked by the scanner (top-level punctuation) or parsed by
 * `JSON.parse`: what it accepts is exactly valid JSON. A token cut by a chunk boundary is kept (from
 * its first byte) until its end arrives; the scan resumes where it stopped.
 */
export class StreamingObjectReader {
  readonly #shape: StreamedObjectShape;
  readonly #fields: Record<string, unknown> = {};
  readonly #wanted: ReadonlySet<string>;
  #elements: number | undefined;

  /** Unscanned and still-needed bytes: what was kept of the previous chunks, then the current one. */
  #window: Buffer = EMPTY;
  #carry: Buffer = Buffer.allocUnsafe(CARRY_BYTES);
  /** Next byte of the window to look at. */
  #at = 0;
  /** First byte still needed (a key, a value, the unparsed part of an array); -1 when none. */
  #mark = -1;
  #step = Step.BeforeRoot;
  #byteOrderMarkChecked = false;
  #key = '';
  // The scan inside a value: nesting below the value's own level, and whether inside a string.
  #depth = 0;
  #inString = false;
  // The array being streamed: the target (its elements handed over) or a skipped one.
  #streamingTarget = false;
  /** A `,` of the array was seen: the array cannot end empty any more. */
  #arrayHasSeparator = false;
  #nextIndex = 0;

  constructor(shape: StreamedObjectShape) {
    this.#shape = shape;
    this.#wanted = new Set(shape.fields);
  }

  /** Feeds the next chunk; throws JsonShapeError on invalid JSON, or what `onElement` threw. */
  write(chunk: Uint8Array): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#mark < 0) {
      this.#window = bytes;
      this.#at = 0;
    } else {
      this.#window = this.#keepWith(bytes);
      this.#at -= this.#mark;
      this.#mark = 0;
    }
    this.#advance();
    if (this.#mark < 0) this.#window = EMPTY;
  }

  /**
   * The window's bytes from the mark followed by `bytes`, in one buffer reused from chunk to chunk:
   * a new one per chunk would be 64 kB of garbage outside the heap each time, which the GC frees late.
   */
  #keepWith(bytes: Buffer): Buffer {
    const kept = this.#window.subarray(this.#mark);
    const length = kept.length + bytes.length;
    if (length > this.#carry.length) {
      const grown = Buffer.allocUnsafe(Math.max(length, this.#carry.length * 2));
      grown.set(kept);
      this.#carry = grown;
    } else {
      this.#carry.set(kept);
    }
    this.#carry.set(bytes, kept.length);
    return this.#carry.subarray(0, length);
  }

  /** The stream is over: the document must be complete. */
  end(): StreamedObject {
    if (this.#step !== Step.AfterRoot) throw new JsonShapeError(this.#step === Step.BeforeRoot ? 'the answer is not JSON' : 'the answer is not JSON: it ends too early');
    return { fields: this.#fields, elements: this.#elements };
  }

  #advance(): void {
    const window = this.#window;
    while (this.#at < window.length) {
      switch (this.#step) {
        case Step.BeforeRoot:
          if (!this.#skipByteOrderMark()) return;
          this.#expect(OPEN_BRACE, Step.KeyOrEnd);
          break;
        case Step.KeyOrEnd:
        case Step.Key:
          this.#startKey();
          break;
        case Step.InKey:
          if (!this.#finishKey()) return;
          break;
        case Step.Colon:
          this.#expect(COLON, Step.Value);
          break;
        case Step.Value:
          this.#startValue();
          break;
        case Step.InValue:
          if (!this.#finishValue()) return;
          break;
        case Step.InArray:
          if (!this.#streamArray()) return;
          break;
        case Step.CommaOrEnd: {
          const byte = this.#nextToken();
          if (byte === undefined) return;
          if (byte === COMMA) this.#step = Step.Key;
          else if (byte === CLOSE_BRACE) this.#step = Step.AfterRoot;
          else throw notJson(`unexpected ${describeByte(byte)} after a value`);
          this.#at++;
          break;
        }
        case Step.AfterRoot:
          if (this.#nextToken() !== undefined) throw notJson('more after the end of the object');
          return;
      }
    }
  }

  /** The next non-whitespace byte (not consumed), or undefined when the window ends first. */
  #nextToken(): number | undefined {
    const window = this.#window;
    let at = this.#at;
    while (at < window.length && isWhitespace(window[at] as number)) at++;
    this.#at = at;
    return window[at];
  }

  #expect(byte: number, next: Step): void {
    const found = this.#nextToken();
    if (found === undefined) return;
    if (found !== byte) {
      if (this.#step === Step.BeforeRoot && startsJsonValue(found)) throw new JsonShapeError('the answer is not a JSON object');
      throw notJson(`expected ${describeByte(byte)}, found ${describeByte(found)}`);
    }
    this.#at++;
    this.#step = next;
  }

  /** A leading UTF-8 byte-order mark is encoding, not content; false while too few bytes tell. */
  #skipByteOrderMark(): boolean {
    if (this.#byteOrderMarkChecked) return true;
    const window = this.#window;
    let matched = 0;
    while (matched < BYTE_ORDER_MARK.length && this.#at + matched < window.length && window[this.#at + matched] === BYTE_ORDER_MARK[matched]) matched++;
    if (matched === BYTE_ORDER_MARK.length) {
      this.#at += matched;
    } else if (matched > 0 && this.#at + matched === window.length) {
      this.#mark = this.#at;
      return false;
    }
    this.#mark = -1;
    this.#byteOrderMarkChecked = true;
    return true;
  }

  #startKey(): void {
    const found = this.#nextToken();
    if (found === undefined) return;
    if (found === CLOSE_BRACE && this.#step === Step.KeyOrEnd) {
      this.#at++;
      this.#step = Step.AfterRoot;
      return;
    }
    if (found !== QUOTE) throw notJson(`expected a key, found ${describeByte(found)}`);
    this.#mark = this.#at;
    this.#at++;
    this.#step = Step.InKey;
  }

  #finishKey(): boolean {
    const end = closingQuote(this.#window, this.#at);
    if (end < 0) {
      this.#at = this.#window.length;
      return false;
    }
    this.#key = parse(this.#window, this.#mark, end + 1) as string;
    this.#mark = -1;
    this.#at = end + 1;
    this.#step = Step.Colon;
    return true;
  }

  #startValue(): void {
    const found = this.#nextToken();
    if (found === undefined) return;
    this.#depth = 0;
    this.#inString = false;
    const isTarget = this.#key === this.#shape.array;
    if (found === OPEN_BRACKET && !this.#wanted.has(this.#key)) {
      if (isTarget) {
        if (this.#elements !== undefined) throw new JsonShapeError(`the answer has "${this.#shape.array}" twice`);
        this.#elements = 0;
      }
      this.#streamingTarget = isTarget;
      this.#arrayHasSeparator = false;
      this.#nextIndex = 0;
      this.#at++;
      this.#mark = this.#at;
      this.#step = Step.InArray;
      return;
    }
    this.#mark = this.#at;
    this.#step = Step.InValue;
  }

  #finishValue(): boolean {
    const end = this.#scanToDelimiter();
    if (end < 0) return false;
    if (this.#window[end] === CLOSE_BRACKET) throw notJson('unexpected "]"');
    const value = parse(this.#window, this.#mark, end);
    if (this.#wanted.has(this.#key)) this.#fields[this.#key] = value;
    this.#mark = -1;
    this.#at = end;
    this.#step = Step.CommaOrEnd;
    return true;
  }

  /**
   * Scans the array to the end of the window or of the array, then parses the complete elements
   * seen (from the mark to the last separator) in one go; the incomplete one stays marked.
   */
  #streamArray(): boolean {
    const window = this.#window;
    let lastSeparator = -1;
    for (;;) {
      const delimiter = this.#scanToDelimiter();
      if (delimiter < 0) {
        if (lastSeparator >= 0) {
          this.#deliver(this.#mark, lastSeparator, true);
          this.#mark = lastSeparator + 1;
        }
        return false;
      }
      const byte = window[delimiter];
      if (byte === COMMA) {
        this.#arrayHasSeparator = true;
        this.#at = delimiter + 1;
        if (delimiter - this.#mark >= BATCH_BYTES) {
          this.#deliver(this.#mark, delimiter, true);
          this.#mark = delimiter + 1;
          lastSeparator = -1;
        } else {
          lastSeparator = delimiter;
        }
      } else if (byte === CLOSE_BRACKET) {
        this.#deliver(this.#mark, delimiter, false);
        this.#mark = -1;
        this.#at = delimiter + 1;
        this.#step = Step.CommaOrEnd;
        return true;
      } else {
        throw notJson('unexpected "}" in an array');
      }
    }
  }

  /** Parses the elements between `start` and `end` (comma-separated) and hands them over in order. */
  #deliver(start: number, end: number, beforeSeparator: boolean): void {
    const elements = parse(this.#window, start, end, '[', ']') as unknown[];
    if (elements.length === 0 && (beforeSeparator || this.#arrayHasSeparator)) throw notJson('an array element is missing');
    if (!this.#streamingTarget) return;
    this.#elements = (this.#elements ?? 0) + elements.length;
    const shape = this.#shape;
    for (const element of elements) shape.onElement(element, this.#nextIndex++);
  }

  /**
   * Finds the next `,`, `]` or `}` outside strings and nested values, from `#at`; -1 when the window
   * ends first, with the scan's state kept to resume on the next chunk. Strings are skipped with
   * `indexOf`: in a Control-M row they are most of the bytes.
   */
  #scanToDelimiter(): number {
    const window = this.#window;
    const length = window.length;
    let at = this.#at;
    let depth = this.#depth;
    if (this.#inString) {
      const end = closingQuote(window, at);
      if (end < 0) {
        this.#at = length;
        return -1;
      }
      this.#inString = false;
      at = end + 1;
    }
    for (; at < length; at++) {
      const byte = window[at] as number;
      if (byte === QUOTE) {
        const end = closingQuote(window, at + 1);
        if (end < 0) {
          this.#inString = true;
          this.#depth = depth;
          this.#at = length;
          return -1;
        }
        at = end;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        depth++;
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        if (depth === 0) return this.#stopAt(at);
        depth--;
      } else if (byte === COMMA && depth === 0) {
        return this.#stopAt(at);
      }
    }
    this.#depth = depth;
    this.#at = length;
    return -1;
  }

  #stopAt(at: number): number {
    this.#depth = 0;
    this.#at = at;
    return at;
  }
}

/** The `"` that ends the string whose content starts at or before `from`; -1 if not in the window. */
function closingQuote(window: Buffer, from: number): number {
  let quote = window.indexOf(QUOTE, from);
  while (quote > 0 && window[quote - 1] === BACKSLASH) {
    let backslashes = 1;
    while (window[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) break;
    quote = window.indexOf(QUOTE, quote + 1);
  }
  return quote;
}

function parse(window: Buffer, start: number, end: number, before = '', after = ''): unknown {
  try {
    return JSON.parse(before + window.toString('utf8', start, end) + after) as unknown;
  } catch (error) {
    throw new JsonShapeError('the answer is not JSON', { cause: error });
  }
}

function notJson(detail: string): JsonShapeError {
  return new JsonShapeError('the answer is not JSON', { cause: new SyntaxError(detail) });
}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** The first byte of a JSON value other than an object. */
function startsJsonValue(byte: number): boolean {
  return byte === OPEN_BRACKET || byte === QUOTE || byte === 0x2d || (byte >= 0x30 && byte <= 0x39) || byte === 0x74 || byte === 0x66 || byte === 0x6e;
}

function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? `"${String.fromCharCode(byte)}"` : `byte 0x${byte.toString(16)}`;
}
