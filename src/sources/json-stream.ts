import { JSONParser, TokenType, type ParsedElementInfo, type ParsedTokenInfo } from '@streamparser/json';

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

/**
 * Reads one JSON object as its bytes arrive, in memory that does not grow with the answer: the
 * parser (`@streamparser/json`, `keepStack: false`) emits each element of the big array and forgets
 * it, and keeps no other field than the few asked for. UTF-8 split across chunks and a leading
 * byte-order mark are handled by the parser.
 */
export class StreamingObjectReader {
  readonly #parser: JSONParser;
  readonly #shape: StreamedObjectShape;
  readonly #fields: Record<string, unknown> = {};
  #elements: number | undefined;
  // Just enough structure, watched token by token, to tell "no array" from "an empty array" and
  // to refuse a second copy of the array (a duplicate key would otherwise count twice).
  #depth = 0;
  #rootIsObject: boolean | undefined;
  #expectingKey = false;
  #key: string | undefined;
  /** What `onElement` threw: the parser rethrows it, and it must reach the caller as it is. */
  #consumerError: unknown;

  constructor(shape: StreamedObjectShape) {
    this.#shape = shape;
    this.#parser = new JSONParser({ paths: [...shape.fields.map((field) => `$.${field}`), `$.${shape.array}.*`], keepStack: false });
    this.#parser.onToken = (token) => this.#watch(token);
    this.#parser.onValue = (info) => this.#take(info);
  }

  /** Feeds the next chunk; throws JsonShapeError on invalid JSON, or what `onElement` threw. */
  write(chunk: Uint8Array): void {
    this.#guard(() => this.#parser.write(chunk));
  }

  /** The stream is over: the document must be complete. */
  end(): StreamedObject {
    this.#guard(() => {
      if (!this.#parser.isEnded) this.#parser.end();
    });
    if (this.#rootIsObject === undefined) throw new JsonShapeError('the answer is not JSON');
    if (!this.#rootIsObject) throw new JsonShapeError('the answer is not a JSON object');
    return { fields: this.#fields, elements: this.#elements };
  }

  /** Everything the parser throws is invalid JSON, except what the consumer threw through it. */
  #guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (error === this.#consumerError || error instanceof JsonShapeError) throw error;
      throw new JsonShapeError('the answer is not JSON', { cause: error });
    }
  }

  #take(info: ParsedElementInfo): void {
    if (typeof info.key === 'number') {
      this.#elements = (this.#elements ?? 0) + 1;
      try {
        this.#shape.onElement(info.value, info.key);
      } catch (error) {
        this.#consumerError = error;
        throw error;
      }
    } else if (info.key !== undefined) {
      this.#fields[info.key] = info.value;
    }
  }

  #watch({ token, value }: Omit<ParsedTokenInfo, 'offset'>): void {
    if (this.#rootIsObject === undefined) this.#rootIsObject = token === TokenType.LEFT_BRACE;
    if (this.#depth === 1 && this.#rootIsObject) {
      if (token === TokenType.STRING && this.#expectingKey) this.#key = String(value);
      if (token === TokenType.LEFT_BRACKET && this.#key === this.#shape.array) {
        if (this.#elements !== undefined) throw new JsonShapeError(`the answer has "${this.#shape.array}" twice`);
        this.#elements = 0;
      }
      this.#expectingKey = token === TokenType.COMMA;
    }
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) {
      this.#depth++;
      if (this.#depth === 1) this.#expectingKey = true;
    } else if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) {
      this.#depth--;
    }
  }
}
