import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema, configReferenceMarkdown } from '../src/config/reference.js';

/** `npm run docs:config`: writes the configuration reference and the editor JSON Schema from the zod schema. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(path.join(root, 'docs', 'configuration-reference.md'), configReferenceMarkdown());
writeFileSync(path.join(root, 'jobtally.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write('wrote docs/configuration-reference.md and jobtally.schema.json\n');
