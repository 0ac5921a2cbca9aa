import { distance } from 'fastest-levenshtein';
import { z } from 'zod';
import type { FieldIssue } from '../errors.js';

export type FieldParse<T> = { success: true; data: T } | { success: false; issues: FieldIssue[] };

/**
 * Parses user input (a config file, job parameters, a query, a request body) and reports what is
 * wrong as field issues, with messages that say what to type instead of zod's defaults.
 */
export function parseFields<T extends z.ZodType>(schema: T, input: unknown, options: { root?: string } = {}): FieldParse<z.output<T>> {
  const parsed = schema.safeParse(input, { error: fieldErrorMap });
  if (parsed.success) return { success: true, data: parsed.data };
  return { success: false, issues: parsed.error.issues.map((issue) => ({ path: formatIssuePath(issue.path, options.root), message: issue.message })) };
}

/**
 * zod's "Unrecognized key" and "Invalid option" leave the user to find the right word: these
 * messages name the key or value a typo was meant to be, or list the ones that are accepted. Pass
 * it to a nested `safeParse` too.
 */
export const fieldErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = issue.inst instanceof z.ZodObject ? Object.keys(issue.inst.shape) : [];
      return issue.keys.map((key) => unknownNameMessage('key', key, known)).join('; ');
    }
    case 'invalid_value':
      return allStrings(issue.values) ? unknownNameMessage('value', String(issue.input), issue.values) : undefined;
    case 'invalid_union': {
      const options: unknown = 'options' in issue ? issue.options : undefined;
      if (issue.discriminator === undefined || !Array.isArray(options) || !allStrings(options)) return undefined;
      const typed = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator];
      return unknownNameMessage(issue.discriminator, String(typed), options);
    }
    default:
      return undefined;
  }
};

export function unknownNameMessage(what: string, name: string, accepted: readonly string[]): string {
  const nearest = nearestNames(name, accepted);
  if (nearest.length > 0) return `unknown ${what} ${name}: did you mean ${nearest.join(' or ')}?`;
  return accepted.length > 0 ? `unknown ${what} ${name}: use ${accepted.join(', ')}` : `unknown ${what} ${name}`;
}

function allStrings(values: readonly unknown[]): values is string[] {
  return values.length > 0 && values.every((value) => typeof value === 'string');
}

/**
 * The accepted names fewest edits away from `name`, ignoring case, within a third of its length
 * rounded up: a dropped letter (`limt`) or two swapped ones (`form`, two edits), not anything for `tx`.
 */
function nearestNames(name: string, accepted: readonly string[]): string[] {
  const typed = name.toLowerCase();
  const tolerance = typed.length < 3 ? 0 : Math.ceil(typed.length / 3);
  const near = accepted.map((candidate) => ({ candidate, edits: distance(typed, candidate.toLowerCase()) })).filter(({ edits }) => edits <= tolerance);
  const fewest = Math.min(...near.map(({ edits }) => edits));
  return near.filter(({ edits }) => edits === fewest).map(({ candidate }) => candidate);
}

/** `sources[1].endpoint` from zod's `['sources', 1, 'endpoint']`; an empty path is `root`. */
export function formatIssuePath(issuePath: readonly PropertyKey[], root = '(root)'): string {
  let out = '';
  for (const segment of issuePath) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out || root;
}
