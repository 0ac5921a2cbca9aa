/** Slots of the hash table when it is created; it doubles when half full. */
const INITIAL_SLOTS = 1024;
const INITIAL_BYTES = 64 * 1024;
/** An empty slot holds 0; a used one the id's offset in the arena plus one. */
const EMPTY_SLOT = 0;

/**
 * A set of strings (job ids: a million in one Control-M answer) kept in two flat typed arrays
 * instead of a heap string and a hash-table entry per id: each id's UTF-8 bytes after their length
 * in one byte arena, and an open-addressing table of arena offsets. A million 16-character ids take
 * about 25 MB outside the heap, where a `Set<string>` holds about 70 MB on it that every major GC
 * walks. Membership is exact: a candidate is compared byte for byte, never by its hash alone.
 */
export class IdSet {
  #arena = new Uint8Array(INITIAL_BYTES);
  #used = 0;
  #slots = new Int32Array(INITIAL_SLOTS);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(id: string): boolean {
    const length = this.#stage(id);
    return this.#slots[this.#find(this.#used, length)] !== EMPTY_SLOT;
  }

  /** Adds `id`; true when it was not in the set yet. */
  add(id: string): boolean {
    const length = this.#stage(id);
    const slot = this.#find(this.#used, length);
    if (this.#slots[slot] !== EMPTY_SLOT) return false;
    this.#slots[slot] = this.#used + 1;
    this.#used += length;
    this.#size++;
    if (this.#size * 2 > this.#slots.length) this.#rehash();
    return true;
  }

  /**
   * Writes `id` (length, then UTF-8 bytes) at the end of the arena without committing it; returns
   * how many bytes it took. ASCII, what job ids are, is written by hand: faster than an encoder call.
   */
  #stage(id: string): number {
    const room = 5 + id.length * 3;
    if (this.#used + room > this.#arena.length) this.#growArena(room);
    const arena = this.#arena;
    let at = this.#used + lengthPrefixSize(id.length);
    for (let index = 0; index < id.length; index++) {
      const code = id.charCodeAt(index);
      if (code >= 0x80) return this.#stageEncoded(id);
      arena[at++] = code;
    }
    return this.#writeLength(id.length) + id.length;
  }

  #stageEncoded(id: string): number {
    const bytes = Buffer.from(id, 'utf8');
    const prefix = this.#writeLength(bytes.length);
    this.#arena.set(bytes, this.#used + prefix);
    return prefix + bytes.length;
  }

  /** Writes the length as a base-128 varint at the end of the arena; returns its size. */
  #writeLength(length: number): number {
    let at = this.#used;
    let rest = length;
    while (rest >= 0x80) {
      this.#arena[at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.#arena[at++] = rest;
    return at - this.#used;
  }

  /** The slot holding the entry equal to the one at `offset`, or the empty slot where it would go. */
  #find(offset: number, length: number): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let slot = hashBytes(this.#arena, offset, length) & mask;
    for (;;) {
      const held = slots[slot] as number;
      if (held === EMPTY_SLOT || this.#equal(held - 1, offset, length)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  #equal(left: number, right: number, length: number): boolean {
    const arena = this.#arena;
    for (let index = 0; index < length; index++) if (arena[left + index] !== arena[right + index]) return false;
    return true;
  }

  #growArena(room: number): void {
    const grown = new Uint8Array(Math.max(this.#arena.length * 2, this.#used + room));
    grown.set(this.#arena.subarray(0, this.#used));
    this.#arena = grown;
  }

  #rehash(): void {
    const old = this.#slots;
    this.#slots = new Int32Array(old.length * 2);
    for (const held of old) {
      if (held === EMPTY_SLOT) continue;
      const offset = held - 1;
      this.#slots[this.#find(offset, entrySize(this.#arena, offset))] = held;
    }
  }
}

function lengthPrefixSize(length: number): number {
  let size = 1;
  for (let rest = length; rest >= 0x80; rest >>>= 7) size++;
  return size;
}

/** The size of the entry at `offset`: its length prefix and its bytes. */
function entrySize(arena: Uint8Array, offset: number): number {
  let length = 0;
  let shift = 0;
  let at = offset;
  for (;;) {
    const byte = arena[at++] as number;
    length |= (byte & 0x7f) << shift;
    if (byte < 0x80) return at - offset + length;
    shift += 7;
  }
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
