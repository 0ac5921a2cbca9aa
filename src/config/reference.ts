import { z } from 'zod';
import { CONFIG_DESCRIPTIONS } from './descriptions.js';
import { configFileSchema, SECRET_REFERENCE_TITLE, CONTROLM_AUTH_TITLE } from './schema.js';

/**
 * The configuration reference and the editor JSON Schema, both generated from the zod schema
 * (pure): types, defaults and limits come from the schema itself, the words from
 * `descriptions.ts`, so neither can drift from what `loadConfig` accepts.
 */

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
  title?: string;
  required?: string[];
  [key: string]: unknown;
};

const SECRET_INPUT: JsonSchema = {
  description: 'A secret reference: `{ env: NAME }` or `{ file: PATH }`, never the value itself.',
  oneOf: [
    { type: 'object', properties: { env: { type: 'string', minLength: 1 } }, required: ['env'], additionalProperties: false },
    { type: 'object', properties: { file: { type: 'string', minLength: 1 } }, required: ['file'], additionalProperties: false },
  ],
};

const CONTROLM_AUTH_INPUT: JsonSchema = {
  oneOf: [
    { type: 'object', properties: { apiKey: SECRET_INPUT }, required: ['apiKey'], additionalProperties: false },
    { type: 'object', properties: { username: { type: 'string', minLength: 1 }, password: SECRET_INPUT }, required: ['username', 'password'], additionalProperties: false },
  ],
};

/** One documented key: where it is, what it accepts, its default, and what it is for. */
export interface ReferenceEntry {
  path: string;
  type: string;
  defaultValue: string;
  description: string;
}

/** The JSON Schema of a config file, for editors (`# yaml-language-server: $schema=...`). */
export function configJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(configFileSchema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const node = ctx.jsonSchema as JsonSchema;
      // zod leaves out the default of an input it cannot describe (a duration's string form).
      const def = ctx.zodSchema._zod.def as { type: string; defaultValue?: unknown };
      if (def.type === 'default' && node.default === undefined) node.default = def.defaultValue;
      const replacement = node.title === SECRET_REFERENCE_TITLE ? SECRET_INPUT : node.title === CONTROLM_AUTH_TITLE ? CONTROLM_AUTH_INPUT : undefined;
      if (!replacement) return;
      for (const key of Object.keys(node)) delete node[key];
      Object.assign(node, structuredClone(replacement));
    },
  }) as JsonSchema;
  forEachKey(schema, (path, node) => {
    const description = describe(path);
    if (description) node.description = description;
  });
  return { ...schema, title: 'jobtally configuration' };
}

/** Every key of the config file, in schema order, with its documentation. */
export function referenceEntries(schema: JsonSchema = configJsonSchema()): ReferenceEntry[] {
  const entries: ReferenceEntry[] = [];
  forEachKey(schema, (path, node) => {
    entries.push({ path, type: typeOf(node), defaultValue: node.default === undefined ? '' : JSON.stringify(node.default), description: describe(path) ?? '' });
  });
  return entries;
}

/** Keys the schema has and the descriptions lack (a test keeps this empty). */
export function undocumentedKeys(): string[] {
  return referenceEntries().filter((entry) => entry.description === '').map((entry) => entry.path);
}

/** Descriptions of keys the schema no longer has (a test keeps this empty). */
export function staleDescriptions(): string[] {
  const known = new Set(referenceEntries().flatMap((entry) => [entry.path, genericPath(entry.path)]));
  return Object.keys(CONFIG_DESCRIPTIONS).filter((path) => !known.has(path));
}

/** `docs/configuration-reference.md`: one table per section, every key, its type, default and meaning. */
export function configReferenceMarkdown(): string {
  const entries = referenceEntries();
  const sections = new Map<string, ReferenceEntry[]>();
  for (const entry of entries) {
    const section = sectionOf(entry.path);
    sections.set(section, [...(sections.get(section) ?? []), entry]);
  }
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts and src/config/descriptions.ts by `npm run docs:config`: do not edit by hand. -->',
    '',
    'Every key of `jobtally.config.yaml`. Durations are a number of milliseconds or a string such as',
    '`500ms`, `30s`, `5m`, `2h`, `90d`. Secrets are `{ env: NAME }` or `{ file: PATH }`, never the value.',
    'The same schema, for editors: [`jobtally.schema.json`](../jobtally.schema.json). A guided tour with',
    'examples: [Configuration](configuration.md).',
  ];
  for (const [section, rows] of sections) {
    lines.push('', `## ${section === '' ? 'Top level' : `\`${section}\``}`, '', '| key | type | default | description |', '| --- | --- | --- | --- |');
    for (const row of rows) lines.push(`| \`${row.path}\` | ${cell(row.type)} | ${row.defaultValue === '' ? '' : `\`${cell(row.defaultValue)}\``} | ${cell(row.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Calls `visit` for each key: `sources[controlm].pageLimit`, `web.users[].name`. A union member
 * told apart by a `type` constant is named by it; one key may be documented once for every member
 * (`sources[].name`).
 */
function forEachKey(node: JsonSchema, visit: (path: string, node: JsonSchema) => void, prefix = ''): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    visit(path, child);
    walkInside(child, visit, path);
  }
}

function walkInside(node: JsonSchema, visit: (path: string, node: JsonSchema) => void, path: string): void {
  if (node.properties) forEachKey(node, visit, path);
  if (node.items) walkInside(node.items, visit, `${path}[]`);
  for (const member of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) {
    const tag = member.properties?.type?.const;
    if (typeof tag === 'string' && path.endsWith('[]')) walkInside(member, visit, `${path.slice(0, -2)}[${tag}]`);
    else if (member.properties && node.title === undefined && !isSecret(node)) forEachKey(member, visit, path);
  }
}

/** A secret reference's input, as `SECRET_INPUT` spells it. */
function isSecret(node: JsonSchema): boolean {
  return node.oneOf?.length === 2 && node.oneOf.every((member) => member.required?.length === 1 && Object.keys(member.properties ?? {}).length === 1);
}

function genericPath(path: string): string {
  return path.replace(/\[[^\]]+\]/g, '[]');
}

function describe(path: string): string | undefined {
  return CONFIG_DESCRIPTIONS[path] ?? CONFIG_DESCRIPTIONS[genericPath(path)];
}

function sectionOf(path: string): string {
  const union = /^([a-z]+(?:\.[a-z]+)?)\[([a-z-]+)\]/i.exec(path);
  if (union) return `${union[1] ?? ''}[${union[2] ?? ''}]`;
  const dot = path.indexOf('.');
  const bracket = path.indexOf('[');
  const cut = [dot, bracket].filter((index) => index > 0);
  return cut.length === 0 ? '' : path.slice(0, Math.min(...cut));
}

function typeOf(node: JsonSchema): string {
  if (isSecret(node)) return 'secret';
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((value) => `\`${String(value)}\``).join(' or ');
  const members = node.anyOf ?? node.oneOf;
  if (members) {
    const plain = members.map((member) => member.type);
    if (plain.includes('integer') && plain.includes('string')) return 'duration';
    return [...new Set(members.map(typeOf))].join(' or ');
  }
  const bounds = [
    node.exclusiveMinimum === 0 ? '> 0' : node.minimum !== undefined ? `≥ ${node.minimum}` : '',
    node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${node.maximum}` : '',
  ].filter(Boolean);
  const type = Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any');
  if (type === 'array') return `list of ${node.items ? typeOf(node.items) : 'any'}`;
  if (type === 'object' && !node.properties && typeof node.additionalProperties === 'object') return `map of ${typeOf(node.additionalProperties)}`;
  if (node.pattern && type === 'string') return `string matching \`${node.pattern}\``;
  if (node.format) return `${type} (${node.format})`;
  return bounds.length > 0 ? `${type} ${bounds.join(', ')}` : type;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
