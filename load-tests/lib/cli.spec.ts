import { helpText, readOptions, type OptionDef } from './cli';

const DEFS = {
  replicas: { kind: 'integer', min: 1, arg: 'N', help: 'API processes' },
  rate: { kind: 'number', min: 0.1, arg: 'R', help: 'requests/s' },
  only: { kind: 'list', help: 'phases' },
  'no-build': { kind: 'flag', help: 'reuse dist/' },
  schema: { kind: 'string', help: 'schema' },
} satisfies Record<string, OptionDef>;

describe('readOptions', () => {
  it('reads numbers, lists, flags and strings; absent options stay undefined', () => {
    expect(
      readOptions(
        ['--replicas', '3.7', '--rate', '0.5', '--only', 'trivial,max', '--no-build', '--schema', 'load_1'],
        DEFS,
        'usage',
      ),
    ).toEqual({
      replicas: 3,
      rate: 0.5,
      only: ['trivial', 'max'],
      'no-build': true,
      schema: 'load_1',
    });
    expect(readOptions(['--rate=2'], DEFS, 'usage')).toEqual({ rate: 2 });
    expect(readOptions([], DEFS, 'usage')).toEqual({});
  });

  it('refuses unknown options, stray words and numbers below the minimum', () => {
    expect(() => readOptions(['--replica', '3'], DEFS, 'usage')).toThrow(/Unknown option '--replica'/);
    expect(() => readOptions(['trivial'], DEFS, 'usage')).toThrow();
    expect(() => readOptions(['--replicas', '0'], DEFS, 'usage')).toThrow('--replicas needs a number >= 1');
    expect(() => readOptions(['--replicas', 'two'], DEFS, 'usage')).toThrow('--replicas needs a number >= 1');
    expect(() => readOptions(['--rate'], DEFS, 'usage')).toThrow();
  });

  it('lists every option in --help', () => {
    const text = helpText('npm run load [-- options]', DEFS);
    for (const o of ['--replicas N', '--rate R', '--only a,b', '--no-build', '--schema S', '--help'])
      expect(text).toContain(o);
    expect(text.split('\n')[0]).toBe('npm run load [-- options]');
  });
});
