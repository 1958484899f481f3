import {
  charCount,
  decimalPlaces,
  greenShare,
  hasAtMost3Decimals,
  meetsGreenShare,
  REQUEST_KEY_JSONPATH,
  requestFingerprint,
  requestKey,
  requiredGreenWh,
  tflopsToPflops,
  toTflops,
  wattsToMw,
  mwToWatts,
  whToMwh,
  priceOf,
  computeCost,
  energyCost,
} from './index';

describe('domain rules', () => {
  it('converts units both ways', () => {
    expect(toTflops(2100.001)).toBe(2_100_001);
    expect(tflopsToPflops(2_100_001)).toBe(2100.001);
    expect(mwToWatts(1.5)).toBe(1_500_000);
    expect(wattsToMw(1_500_000)).toBe(1.5);
    expect(whToMwh(2_500_000)).toBe(2.5);
  });

  it('counts at most 3 decimals the same way fast and by the written number', () => {
    // an independent oracle: the decimal digits JavaScript writes, against the arithmetic test
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const xs = [0, 1e-10, 1e-7, 0.001, 0.0005, 0.1 + 0.2, 1.0000000001, 2100.001, 2e12, 2.5e12 + 0.5, 1e21, -1.234];
    for (let i = 0; i < 20_000; i++) {
      const mag = 10 ** Math.floor(rnd() * 16 - 4);
      const d = Math.floor(rnd() * 7);
      xs.push(Number((rnd() * mag).toFixed(d)), rnd() * mag, Math.round(rnd() * mag * 1000) / 1000 + 1e-9 * rnd());
    }
    for (const x of xs) expect({ x, fast: hasAtMost3Decimals(x) }).toEqual({ x, fast: decimalPlaces(x) <= 3 });
  });

  it('decides the green share on integer Wh', () => {
    // 1,000 W for 3 h at a third green needs 1,000 Wh, not 999.999...
    expect(requiredGreenWh(1 / 3, 1000, 3)).toBe(1000);
    expect(meetsGreenShare(1000, 1000, 3, 1 / 3)).toBe(true);
    expect(meetsGreenShare(999, 1000, 3, 1 / 3)).toBe(false);
    expect(meetsGreenShare(0, 1000, 3, 0)).toBe(true);
    expect(greenShare(250, 1000)).toBe(0.25);
    expect(greenShare(0, 0)).toBe(0);
    expect(greenShare(0, 0, 1)).toBe(1);
  });

  it('prices compute, green and grid energy', () => {
    const p = priceOf({
      pflops: 2,
      hours: 2,
      pricePerPflopsHour: 10,
      gridPricePerMwh: 100,
      drawW: 1_000_000,
      greenW: [500_000, 0],
      greenPricePerMwh: [40, 0],
    });
    expect(p.compute).toBe(computeCost(2, 2, 10));
    expect(p.greenEnergy).toBe(energyCost(500_000, 40));
    expect(p.gridEnergy).toBe(energyCost(1_500_000, 100));
    expect(p.total).toBe(40 + 20 + 150);
  });

  it('keys a request by the leading elements of its fingerprint, which SQL selects by jsonpath', () => {
    const r = {
      pflops: 1.5,
      hours: 4,
      earliestStart: new Date('2026-01-01T00:00:00Z'),
      deadline: new Date('2026-01-02T00:00:00Z'),
      clusterIds: null,
      minGreenShare: 0.5,
    };
    const fp = JSON.parse(requestFingerprint(r, 'GREENEST')) as unknown[];
    expect(fp).toEqual([1.5, 4, '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', null, 0.5, 'GREENEST']);
    expect(JSON.parse(requestKey(r))).toEqual(fp.slice(0, 6));
    expect(REQUEST_KEY_JSONPATH).toBe('$[0 to 5]');
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
