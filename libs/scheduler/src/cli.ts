/**
 * Command line: `npm run schedule -- <instance.json> [--mode online|batch]` prints the result
 * file (docs/scheduler-instance-format.md at the repository root) to stdout. Bad input: a message naming the
 * field on stderr and exit code 1; bad usage: exit code 2.
 */
import { readFileSync } from 'node:fs';
import { SchedulerInputError } from './errors';
import { runInstance } from './instance';

const USAGE = 'usage: schedule <instance.json> [--mode online|batch]';

function main(argv: string[]): number {
  let file: string | undefined;
  let mode = 'online';
  let options = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (options && a === '--') options = false;
    else if (!options || !a.startsWith('-')) {
      if (file !== undefined) {
        process.stderr.write(`error: unexpected argument ${a}\n${USAGE}\n`);
        return 2;
      }
      file = a;
    } else if (a === '--mode') mode = argv[++i] ?? '';
    else if (a.startsWith('--mode=')) mode = a.slice(7);
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    } else {
      process.stderr.write(`error: unknown option ${a}\n${USAGE}\n`);
      return 2;
    }
  }
  if (file === undefined) {
    process.stderr.write(`error: missing instance file\n${USAGE}\n`);
    return 2;
  }
  if (mode !== 'online' && mode !== 'batch') {
    process.stderr.write(`error: --mode must be online or batch, got ${JSON.stringify(mode)}\n${USAGE}\n`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`error: cannot read ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    process.stderr.write(`error: ${file} is not valid JSON: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const result = runInstance(raw, mode, undefined, (m) => process.stderr.write(`warning: ${file}: ${m}\n`));
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof SchedulerInputError) {
      process.stderr.write(`error: ${file}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
