// Command-line options of the load-test tools (run.ts, faults/run-faults.ts, check-invariants.ts):
// node:util parseArgs underneath, plus numbers checked against a minimum, comma lists and --help.
import { parseArgs } from 'node:util';

export interface OptionDef {
  /** integer: a number, floored after the check; list: comma-separated words; flag: no value */
  kind: 'integer' | 'number' | 'flag' | 'list' | 'string';
  /** the smallest number accepted (number and integer) */
  min?: number;
  /** the value's name in --help */
  arg?: string;
  help: string;
}

type ValueOf<D extends OptionDef> = D['kind'] extends 'flag'
  ? boolean
  : D['kind'] extends 'list'
    ? string[]
    : D['kind'] extends 'string'
      ? string
      : number;

/** The options given on the command line (absent ones are undefined: the caller knows its defaults). */
export type Parsed<T extends Record<string, OptionDef>> = { [K in keyof T]?: ValueOf<T[K]> };

/** The --help text: the usage line, then one line per option. */
export function helpText(usage: string, defs: Record<string, OptionDef>): string {
  const rows = Object.entries(defs).map(([name, d]) => [
    `--${name}${d.kind === 'flag' ? '' : ` ${d.arg ?? (d.kind === 'list' ? 'a,b' : d.kind === 'string' ? 'S' : 'N')}`}`,
    d.help,
  ]);
  rows.push(['--help', 'this text']);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [usage, '', 'Options:', ...rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`)].join('\n');
}

/**
 * Parses `argv` against `defs` (keys are the option names without "--"). Throws on an unknown
 * option, a missing value or a number below its minimum; with --help prints the help text and
 * exits 0.
 */
export function readOptions<T extends Record<string, OptionDef>>(argv: string[], defs: T, usage: string): Parsed<T> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, d] of Object.entries(defs)) options[name] = { type: d.kind === 'flag' ? 'boolean' : 'string' };
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values.help) {
    console.log(helpText(usage, defs));
    process.exit(0);
  }
  const out: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(defs)) {
    const v = values[name];
    if (v === undefined) continue;
    if (d.kind === 'flag') out[name] = v;
    else if (d.kind === 'string') out[name] = v;
    else if (d.kind === 'list') out[name] = String(v).split(',');
    else {
      const n = Number(v);
      const min = d.min ?? -Infinity;
      if (String(v).trim() === '' || !Number.isFinite(n) || n < min)
        throw new Error(`--${name} needs a number >= ${min}`);
      out[name] = d.kind === 'integer' ? Math.floor(n) : n;
    }
  }
  return out as Parsed<T>;
}
