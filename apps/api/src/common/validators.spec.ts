import { charCount, decimalPlaces } from './validators';

describe('decimalPlaces', () => {
  it('counts decimals in plain and exponent notation', () => {
    const cases: [number, number][] = [
      [0, 0],
      [12, 0],
      [1.2345, 4],
      [-0.125, 3],
      [1e-7, 7],
      [1.5e-7, 8],
      [4e-7, 7],
      [5e-324, 324],
      [1e21, 0],
      [1.2345e21, 0],
      [0.1 + 0.2, 17],
    ];
    for (const [x, n] of cases) expect({ x, n: decimalPlaces(x) }).toEqual({ x, n });
  });
});

describe('charCount', () => {
  it('counts code points: a surrogate pair is one character, a lone surrogate one', () => {
    const cases: [string, number][] = [
      ['', 0],
      ['abc', 3],
      ['\u00e9t\u00e9', 3],
      ['\u{1F600}', 1],
      ['\u{1F600}'.repeat(200), 200],
      ['a\u{1F600}b', 3],
      ['\ud83d', 1],
      ['\ude00\ud83d', 2],
      ['x\ud83d', 2],
    ];
    for (const [s] of cases) expect({ s, n: charCount(s) }).toEqual({ s, n: [...s].length });
    for (const [s, n] of cases) expect({ s, n: charCount(s) }).toEqual({ s, n });
  });
});
