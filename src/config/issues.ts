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
 * zod's defaults ("Unrecognized key", "Invalid option", "Invalid input", "expected string, received
 * undefined") leave the user to work out what to type. These messages name the key or value a typo
 * was meant to be, or list the accepted ones, say what is missing, and pick the one complaint that
 * fits out of a union. Pass it to a nested `safeParse` too.
 */
export const fieldErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = issue.inst instanceof z.ZodObject ? Object.keys(issue.inst.shape) : [];
      return issue.keys.map((key) => unknownNameMessage('key', key, known)).join('; ');
    }
    case 'invalid_value':
      return allStrings(issue.values) ? unknownNameMessage('value', String(issue.input), issue.values) : undefined;
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      // "48,500" or "90" in quotes: YAML and JSON both read a quoted number as text.
      if (issue.expected === 'number' && typeof issue.input === 'string') return `expected a number, not the text "${issue.input}": write digits only, without quotes`;
      return undefined;
    case 'invalid_union':
      return issue.input === undefined ? 'required' : unionMessage(issue);
    default:
      return undefined;
  }
};

type UnionIssue = Extract<z.core.$ZodRawIssue, { code: 'invalid_union' }>;

function unionMessage(issue: UnionIssue): string | undefined {
  const options: unknown = 'options' in issue ? issue.options : undefined;
  if (issue.discriminator !== undefined) {
    if (!Array.isArray(options) || !allStrings(options)) return undefined;
    const typed = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator];
    return unknownNameMessage(issue.discriminator, String(typed), options);
  }
  // The input has the type of one option only (a string where a number or a duration text goes):
  // that option's own complaint says what is wrong with it.
  const ofRightType = issue.errors.filter((optionIssues) => optionIssues.length > 0 && optionIssues.every((inner) => inner.code !== 'invalid_type'));
  if (ofRightType.length === 0) return wrongTypeMessage(issue.errors.flat());
  const [only] = ofRightType;
  if (ofRightType.length !== 1 || !only) return undefined;
  return only.map((inner) => (inner.path.length > 0 ? `${formatIssuePath(inner.path)}: ${inner.message}` : inner.message)).join('; ');
}

/** `expected number or string` when the input has the type of no option at all. */
function wrongTypeMessage(issues: readonly z.core.$ZodIssue[]): string | undefined {
  const expected = new Set<string>();
  for (const inner of issues) {
    if (inner.code !== 'invalid_type' || inner.path.length > 0) return undefined;
    expected.add(inner.expected);
  }
  return `expected ${[...expected].join(' or ')}`;
}

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
