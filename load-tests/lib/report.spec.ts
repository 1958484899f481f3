import { fmt, table } from './report';

describe('report tables', () => {
  it('pads a label column and right-aligns numbers by default', () => {
    expect(
      table([
        ['scenario', 'req/s'],
        ['trivial', '1,200'],
        ['mix', '9'],
      ]),
    ).toBe(['| scenario | req/s |', '|----------|------:|', '| trivial  | 1,200 |', '| mix      |     9 |'].join('\n'));
  });

  it('left-aligns every column when told', () => {
    expect(
      table(
        [
          ['fault', 'result'],
          ['kill -9', 'ok'],
        ],
        ['left', 'left'],
      ),
    ).toBe(['| fault   | result |', '|---------|--------|', '| kill -9 | ok     |'].join('\n'));
  });

  it('formats numbers with separators and fixed decimals', () => {
    expect(fmt(12345.678)).toBe('12,346');
    expect(fmt(12345.678, 1)).toBe('12,345.7');
    expect(fmt(0.5, 2)).toBe('0.50');
  });
});
