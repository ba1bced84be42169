/**
 * Checks an options object given to a public constructor against the options it takes. An
 * unknown name (a typo, or an option of another class) and a value of the wrong type are each
 * reported to `diag.warn`, naming the option, and left out of the result, so the default applies:
 * a misspelt option would otherwise be dropped without a word. Values of the right type but out of
 * range are not checked here: the modules that use them throw a `RangeError`, as before.
 *
 * Runs once per constructor call, never per record.
 */
import { diag } from '@opentelemetry/api';

/** The type of value an option takes; `false` is the literal (an option that is an object or `false`). */
export type OptionKind = 'number' | 'string' | 'boolean' | 'false' | 'object' | 'array' | 'any';

/** What one option takes: the kinds of value, and for an object the options inside it. */
export interface OptionRule {
  readonly kinds: readonly OptionKind[];
  /** For an object value: the options it takes in turn. */
  readonly fields?: OptionSchema<object>;
}

/** A rule for every option of `T`, and for nothing else. */
export type OptionSchema<T extends object> = { readonly [K in keyof Required<T>]: OptionRule };

/**
 * `given`'s own options that `schema` knows and whose values have the right type (nested objects
 * checked the same way); everything else is reported to `diag.warn`. `call` names the constructor
 * in the warnings, e.g. `new TTLogProcessor(options)`. `undefined` values count as not given.
 */
export function checkedOptions<T extends object>(given: unknown, schema: OptionSchema<T>, call: string): Partial<T> {
  if (given === undefined) return {};
  if (kindOf(given) !== 'object') {
    diag.warn(`ttlog: the options of ${call} must be an object, got ${describe(given)}; ignored`);
    return {};
  }
  return checkFields(given as Record<string, unknown>, schema, '', call) as Partial<T>;
}

function checkFields(given: Record<string, unknown>, schema: OptionSchema<object>, prefix: string, call: string): Record<string, unknown> {
  const rules = schema as Readonly<Record<string, OptionRule>>;
  const kept: Record<string, unknown> = {};
  for (const name of Object.keys(given)) {
    const value = given[name];
    const rule = Object.hasOwn(rules, name) ? rules[name] : undefined;
    if (rule === undefined) {
      const suggestion = closestName(name, Object.keys(rules));
      const hint = suggestion === undefined ? '' : ` (did you mean '${prefix}${suggestion}'?)`;
      diag.warn(`ttlog: unknown option '${prefix}${name}'${hint} in ${call}; ignored`);
      continue;
    }
    if (value === undefined) continue;
    const kind = kindOf(value);
    if (!rule.kinds.includes('any') && !rule.kinds.includes(kind as OptionKind) && !(value === false && rule.kinds.includes('false'))) {
      diag.warn(`ttlog: option '${prefix}${name}' must be ${rule.kinds.map(article).join(' or ')}, got ${describe(value)} in ${call}; ignored`);
      continue;
    }
    kept[name] = rule.fields !== undefined && kind === 'object' ? checkFields(value as Record<string, unknown>, rule.fields, `${prefix}${name}.`, call) : value;
  }
  return kept;
}

function kindOf(value: unknown): OptionKind | 'null' | 'other' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'object':
      return typeof value as OptionKind;
    default:
      return 'other';
  }
}

function article(kind: OptionKind): string {
  if (kind === 'false') return 'false';
  return kind === 'array' || kind === 'object' ? `an ${kind}` : `a ${kind}`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * The known name a misspelt `name` most likely meant: the nearest by edit distance when it is
 * within a third of the name's length (at least one edit), else the one known name it begins,
 * so that both `capcity` and `dir` find theirs. Case is ignored.
 */
function closestName(name: string, known: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  if (best !== undefined) return best;
  const extended = wanted.length >= 3 ? known.filter((candidate) => candidate.toLowerCase().startsWith(wanted)) : [];
  return extended.length === 1 ? extended[0] : undefined;
}

/** Levenshtein distance, one row at a time: option names are a few dozen characters at most. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
