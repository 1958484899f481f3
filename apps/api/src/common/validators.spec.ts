import { decimalPlaces } from '@pflex/scheduler';

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
