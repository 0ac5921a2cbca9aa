/** Slots of the hash table when it is created; it doubles when half full. */
const INITIAL_SLOTS = 1024;
/** The arena grows by pages of 2^PAGE_SHIFT bytes, never by copying. */
const PAGE_SHIFT = 18;
const PAGE_BYTES = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_BYTES - 1;
/** The most bytes an id can take in a page (length prefix included); a longer one (no job id is) goes to a plain Map. */
const LONGEST_ENTRY = 16 * 1024;
/** An empty slot holds 0; a used one the id's place in the arena (page, offset) plus one. */
const EMPTY_SLOT = 0;

/**
 * A map from strings (job ids: a million in one Control-M answer) to numbers, kept in flat typed
 * arrays instead of a heap string and a hash-table entry per id: each id's UTF-8 bytes after their
 * length in an arena of fixed pages, an open-addressing table of places in the arena, and the
 * values beside it. A million ids of 12 characters take about 30 MB outside the heap, where a
 * `Map<string, number>` holds about 60 MB on it that every major GC walks; the arena grows a page
 * at a time, so it never leaves an old copy behind for the GC. Lookups are exact: a candidate is
 * compared byte for byte, never by hash alone.
 */
export class IdMap {
  readonly #pages: Uint8Array[] = [new Uint8Array(PAGE_BYTES)];
  #page = this.#pages[0] as Uint8Array;
  /** Bytes used in the last page, where a candidate is staged. */
  #used = 0;
  #slots = new Int32Array(INITIAL_SLOTS);
  #values = new Float64Array(INITIAL_SLOTS);
  #size = 0;
  readonly #long = new Map<string, number>();

  get size(): number {
    return this.#size + this.#long.size;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  get(id: string): number | undefined {
    if (id.length * 3 + 5 > LONGEST_ENTRY) return this.#long.get(id);
    // Staged first: staging may open a new page.
    const length = this.#stage(id);
    const slot = this.#find(this.#page, this.#used, length);
    return this.#slots[slot] === EMPTY_SLOT ? undefined : this.#values[slot];
  }

  set(id: string, value: number): this {
    if (id.length * 3 + 5 > LONGEST_ENTRY) {
      this.#long.set(id, value);
      return this;
    }
    const length = this.#stage(id);
    const slot = this.#find(this.#page, this.#used, length);
    this.#values[slot] = value;
    if (this.#slots[slot] !== EMPTY_SLOT) return this;
    this.#slots[slot] = (((this.#pages.length - 1) << PAGE_SHIFT) | this.#used) + 1;
    this.#used += length;
    this.#size++;
    if (this.#size * 2 > this.#slots.length) this.#rehash();
    return this;
  }

  /**
   * Writes `id` (length, then UTF-8 bytes) after the last entry without committing it; returns how
   * many bytes it took. ASCII, what job ids are, is written by hand: faster than an encoder call.
   */
  #stage(id: string): number {
    if (this.#used + id.length * 3 + 5 > PAGE_BYTES) {
      this.#page = new Uint8Array(PAGE_BYTES);
      this.#pages.push(this.#page);
      this.#used = 0;
    }
    const page = this.#page;
    let at = this.#used + lengthPrefixSize(id.length);
    for (let index = 0; index < id.length; index++) {
      const code = id.charCodeAt(index);
      if (code >= 0x80) return this.#stageEncoded(id);
      page[at++] = code;
    }
    return this.#writeLength(id.length) + id.length;
  }

  #stageEncoded(id: string): number {
    const bytes = Buffer.from(id, 'utf8');
    const prefix = this.#writeLength(bytes.length);
    this.#page.set(bytes, this.#used + prefix);
    return prefix + bytes.length;
  }

  /** Writes the length as a base-128 varint at the staging place; returns its size. */
  #writeLength(length: number): number {
    let at = this.#used;
    let rest = length;
    while (rest >= 0x80) {
      this.#page[at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.#page[at++] = rest;
    return at - this.#used;
  }

  /** The slot holding the entry equal to the `length` bytes at `offset` of `page`, or the empty slot where it would go. */
  #find(page: Uint8Array, offset: number, length: number): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let slot = hashBytes(page, offset, length) & mask;
    for (;;) {
      const held = slots[slot] as number;
      if (held === EMPTY_SLOT || equalBytes(this.#pages[(held - 1) >>> PAGE_SHIFT] as Uint8Array, (held - 1) & PAGE_MASK, page, offset, length)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  #rehash(): void {
    const oldSlots = this.#slots;
    const oldValues = this.#values;
    this.#slots = new Int32Array(oldSlots.length * 2);
    this.#values = new Float64Array(oldSlots.length * 2);
    oldSlots.forEach((held, index) => {
      if (held === EMPTY_SLOT) return;
      const page = this.#pages[(held - 1) >>> PAGE_SHIFT] as Uint8Array;
      const offset = (held - 1) & PAGE_MASK;
      const slot = this.#find(page, offset, entrySize(page, offset));
      this.#slots[slot] = held;
      this.#values[slot] = oldValues[index] as number;
    });
  }
}

function lengthPrefixSize(length: number): number {
  let size = 1;
  for (let rest = length; rest >= 0x80; rest >>>= 7) size++;
  return size;
}

/** The size of the entry at `offset`: its length prefix and its bytes. */
function entrySize(page: Uint8Array, offset: number): number {
  let length = 0;
  let shift = 0;
  let at = offset;
  for (;;) {
    const byte = page[at++] as number;
    length |= (byte & 0x7f) << shift;
    if (byte < 0x80) return at - offset + length;
    shift += 7;
  }
}

/**
 * Whether two entries are equal, comparing `length` bytes: the length of the candidate's. Length
 * prefixes of different lengths differ within the shorter one, so a shorter held entry never
 * compares past its own end.
 */
function equalBytes(left: Uint8Array, leftOffset: number, right: Uint8Array, rightOffset: number, length: number): boolean {
  for (let index = 0; index < length; index++) if (left[leftOffset + index] !== right[rightOffset + index]) return false;
  return true;
}

/** FNV-1a over the bytes, then a final mix so the low bits (the slot) depend on every byte. */
function hashBytes(bytes: Uint8Array, offset: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let index = offset; index < offset + length; index++) hash = Math.imul(hash ^ (bytes[index] as number), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}
