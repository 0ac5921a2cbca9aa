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
