import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configJsonSchema, configReferenceMarkdown, staleDescriptions, undocumentedKeys } from '../../src/config/reference.js';
import { ROOT } from '../support/cli.js';

/** The configuration reference and the editor schema are generated: these fail when they drift. */
const committed = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('configuration reference', () => {
  it('documents every key of the schema, and only those', () => {
    expect(undocumentedKeys()).toEqual([]);
    expect(staleDescriptions()).toEqual([]);
  });

  it('is the committed docs/configuration-reference.md (run `npm run docs:config` after changing the schema)', () => {
    expect(committed('docs/configuration-reference.md')).toBe(configReferenceMarkdown());
  });

  it('is the committed jobtally.schema.json (run `npm run docs:config` after changing the schema)', () => {
    expect(JSON.parse(committed('jobtally.schema.json'))).toEqual(configJsonSchema());
  });

  it('lets an editor accept the example configs and catch a misspelt key', () => {
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(configJsonSchema());
    for (const file of ['docs/examples/jobtally.config.yaml', 'docs/examples/tour.yaml']) {
      expect({ file, valid: validate(parseYaml(committed(file))), errors: validate.errors ?? [] }).toMatchObject({ valid: true });
    }
    expect(validate({ sources: [{ name: 'SPA', type: 'static', count: 1 }], schedules: [{ name: 'x', evry: '5m' }] })).toBe(false);
    expect(validate({ sources: [{ name: 'SPA', type: 'controlm', endpoint: 'https://ctm.example.com', auth: { apiKey: 'plaintext' } }] })).toBe(false);
  });
});
