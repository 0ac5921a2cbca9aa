import { describe, expect, it } from 'vitest';
import { JsonShapeError, StreamingObjectReader, type StreamedObject } from '../../src/sources/json-stream.js';

const encoder = new TextEncoder();

/** Reads `bytes` cut into pieces of `size` bytes; returns what was read and the elements seen. */
function read(bytes: Uint8Array, size = bytes.length || 1): { answer: StreamedObject; elements: unknown[] } {
  const elements: unknown[] = [];
  const reader = new StreamingObjectReader({ array: 'statuses', fields: ['returned', 'total'], onElement: (element, index) => elements.push([index, element]) });
  for (let start = 0; start < bytes.length; start += size) reader.write(bytes.subarray(start, start + size));
  return { answer: reader.end(), elements };
}

const text = (json: string, size?: number) => read(encoder.encode(json), size);

function readChunks(chunks: Uint8Array[]): { answer: StreamedObject; elements: unknown[] } {
  const elements: unknown[] = [];
  const reader = new StreamingObjectReader({ array: 'statuses', fields: ['returned', 'total'], onElement: (element, index) => elements.push([index, element]) });
  for (const chunk of chunks) reader.write(chunk);
  return { answer: reader.end(), elements };
}

/** What `action` returned, or that it threw (a JsonShapeError for the reader, a SyntaxError for JSON.parse). */
function outcome(action: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: action() };
  } catch (error) {
    if (!(error instanceof JsonShapeError) && !(error instanceof SyntaxError)) throw error;
    return { ok: false };
  }
}

describe('StreamingObjectReader', () => {
  const document = '{"statuses":[{"jobId":"a","name":"café ✓","tags":["x",{"statuses":[1]}]},{"jobId":"b"}],"other":{"statuses":[9]},"note":"statuses","returned":2,"total":2}';

  it('hands over each element and keeps only the fields asked for, whatever the chunking (UTF-8 split mid-character)', () => {
    const whole = text(document);
    expect(whole.answer).toEqual({ fields: { returned: 2, total: 2 }, elements: 2 });
    expect(whole.elements).toEqual([
      [0, { jobId: 'a', name: 'café ✓', tags: ['x', { statuses: [1] }] }],
      [1, { jobId: 'b' }],
    ]);
    for (const size of [1, 2, 3, 7]) expect(text(document, size), `chunks of ${size}`).toEqual(whole);
  });

  it('tells an empty array from no array', () => {
    expect(text('{"statuses":[],"returned":0,"total":0}').answer.elements).toBe(0);
    expect(text('{"returned":0,"total":0}').answer.elements).toBeUndefined();
    expect(text('{"statuses":{"0":1},"returned":0}').answer.elements).toBeUndefined();
  });

  it('skips a byte-order mark, even split across chunks', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode('{"statuses":[{}],"total":1}')]);
    expect(read(bytes, 1).answer).toEqual({ fields: { total: 1 }, elements: 1 });
  });

  it('refuses what is not one JSON object', () => {
    const cases: [string, RegExp][] = [
      ['', /not JSON/],
      ['   ', /not JSON/],
      ['<html>502</html>', /not JSON/],
      ['{"statuses":[{"a":1}', /not JSON/],
      ['{"count": NaN}', /not JSON/],
      ['{"total":1} trailing', /not JSON/],
      ['{"total":1}{"total":2}', /not JSON/],
      ['[{"total":1}]', /not a JSON object/],
      ['5', /not a JSON object/],
      ['{"statuses":[{}],"statuses":[{}]}', /"statuses" twice/],
      ['{"statuses":[1,]}', /not JSON/],
      ['{"statuses":[,1]}', /not JSON/],
      ['{"statuses":[1,,2]}', /not JSON/],
      ['{"statuses":[1 2]}', /not JSON/],
      ['{"statuses":[{"a":1}}]}', /not JSON/],
      ['{"statuses":[{"a":[1}]]}', /not JSON/],
      ['{"statuses":[],}', /not JSON/],
      ['{"total":1]', /not JSON/],
      ['{"total" 1}', /not JSON/],
      ['{total:1}', /not JSON/],
      ['{"other":tru,"total":1}', /not JSON/],
      ['{"other":[1,{"x":NaN}],"total":1}', /not JSON/],
      ['{"other":"a\\x"}', /not JSON/],
      ['{"statuses":["a\nb"]}', /not JSON/],
    ];
    for (const [json, reason] of cases) {
      const error = (() => {
        try {
          text(json);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error, json).toBeInstanceOf(JsonShapeError);
      expect((error as Error).message, json).toMatch(reason);
    }
  });

  it('reads every chunking of a document alike: split at every offset, and in three at many pairs of offsets', () => {
    // Everything a scanner can trip on: brackets, braces, commas, colons and quotes inside strings,
    // escaped quotes and backslashes, \u escapes, 2-, 3- and 4-byte UTF-8, nested arrays and objects,
    // fields before and after the array, a skipped array holding another "statuses", the wanted
    // `errors` array kept whole, odd whitespace.
    const json = [
      '\uFEFF \n{ "returned" : 3 ,"other":[{"statuses":[1,2]},"]}",[[]]],',
      '"statuses":\t[ {"jobId":"a\\"b","name":"[x],{y}:\\\\","n":-1.5e3,"ok":true,"no":null},',
      '{"jobId":"é✓𝄞","tags":[[],{},[{"q":"\\u005d\\""}]],"d":"\\\\\\""} ,"plain" ,[] ,0 ] ,',
      '"errors":[{"message":"x,]}"}],"total":3, "note":"statuses" }\r\n',
    ].join('');
    const bytes = encoder.encode(json);
    const expected = JSON.parse(json.replace(/^\uFEFF/, '')) as { statuses: unknown[]; returned: number; total: number; errors: unknown };
    const reference = { answer: { fields: { returned: 3, total: 3 }, elements: expected.statuses.length }, elements: expected.statuses.map((element, index) => [index, element]) };
    expect(read(bytes)).toEqual(reference);
    const readErrors = (chunks: Uint8Array[]) => {
      const reader = new StreamingObjectReader({ array: 'statuses', fields: ['errors'], onElement: () => undefined });
      for (const chunk of chunks) reader.write(chunk);
      return reader.end().fields;
    };
    expect(readErrors([bytes])).toEqual({ errors: expected.errors });
    for (let cut = 0; cut <= bytes.length; cut++) {
      const chunks = [bytes.subarray(0, cut), bytes.subarray(cut)];
      expect(readChunks(chunks), `cut at ${cut}`).toEqual(reference);
      expect(readErrors(chunks), `cut at ${cut}`).toEqual({ errors: expected.errors });
    }
    for (let first = 1; first < bytes.length; first += 3) {
      for (let second = first; second <= bytes.length; second += 5) {
        expect(readChunks([bytes.subarray(0, first), bytes.subarray(first, second), bytes.subarray(second)]), `cuts at ${first}, ${second}`).toEqual(reference);
      }
    }
    for (const size of [1, 2, 3, 5, 8]) expect(read(bytes, size), `chunks of ${size}`).toEqual(reference);
  });

  it('reads a large array (parsed in several batches per chunk) alike in any chunk size', () => {
    const statuses = Array.from({ length: 3000 }, (_, index) => ({ jobId: `ctm01:${index}`, name: index % 3 === 0 ? `Clôture ✓ ${index}` : `job ${index}`, note: '],"x":[{', runs: [index, { deep: [index] }] }));
    const bytes = encoder.encode(JSON.stringify({ total: 3000, statuses, returned: 3000 }));
    const reference = { answer: { fields: { returned: 3000, total: 3000 }, elements: 3000 }, elements: statuses.map((element, index) => [index, element]) };
    for (const size of [bytes.length, 65_536, 33_333, 4096, 1000, 97]) expect(read(bytes, size), `chunks of ${size}`).toEqual(reference);
  });

  it('refuses every truncated answer, wherever it is cut', () => {
    const bytes = encoder.encode('{"statuses":[{"jobId":"a","s":"x]\\""},[1,{"b":[]}]],"returned":2,"total":2}');
    expect(read(bytes).answer.elements).toBe(2);
    for (let length = 0; length < bytes.length; length++) {
      for (const size of [1, 4, bytes.length]) {
        expect(() => read(bytes.subarray(0, length), size), `first ${length} bytes in chunks of ${size}`).toThrow(JsonShapeError);
      }
    }
  });

  it('accepts exactly what JSON.parse accepts, on thousands of one-byte mutations of an answer', () => {
    const json = '{"a":[1,{"b":"c,]"}],"statuses":[{"jobId":"x\\"y","v":[1.5,-2e3,true,null]},"s\\\\",[]],"total":2}';
    const alphabet = '{}[]",:\\ 0123456789-+.eEtrufalsn'.split('');
    let accepted = 0;
    for (let at = 0; at < json.length; at++) {
      for (const change of alphabet) {
        for (const mutated of [json.slice(0, at) + change + json.slice(at + 1), json.slice(0, at) + change + json.slice(at), json.slice(0, at) + json.slice(at + 1)]) {
          const expected = outcome(() => {
            const value = JSON.parse(mutated) as unknown;
            if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SyntaxError('not an object');
            const statuses = (value as { statuses?: unknown }).statuses;
            return { elements: Array.isArray(statuses) ? statuses.map((element: unknown, index) => [index, element]) : [], count: Array.isArray(statuses) ? statuses.length : undefined };
          });
          const actual = outcome(() => {
            const result = read(encoder.encode(mutated), 7);
            return { elements: result.elements, count: result.answer.elements };
          });
          if (actual.ok) accepted++;
          expect(actual, mutated).toEqual(expected);
        }
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('stops at the first element the consumer refuses', () => {
    const reader = new StreamingObjectReader({
      array: 'statuses',
      fields: [],
      onElement: (_element, index) => {
        if (index === 1) throw new RangeError('row 1 is bad');
      },
    });
    expect(() => reader.write(encoder.encode('{"statuses":[{},{},{}]}'))).toThrow(RangeError);
  });
});
