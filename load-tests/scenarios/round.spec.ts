import { roundProblems, type HeldRequest } from './round';

describe('roundProblems: the round phase checks the round against what the API acknowledged', () => {
  const held: HeldRequest[] = [
    { id: 'q1', organizationId: 'a', status: 'CONFIRMED', booking: { id: 'b1' } },
    { id: 'q2', organizationId: 'b', status: 'REFUSED', booking: null },
  ];
  const submitted = new Map([
    ['q1', 'a'],
    ['q2', 'b'],
  ]);

  it('finds nothing when the round holds every acknowledged request and closeRound agrees', () => {
    expect(roundProblems(submitted, held, { requests: 2, placed: 1 })).toEqual([]);
  });

  it('finds a request lost with its booking, one of another startup, and an outcome that does not add up', () => {
    expect(roundProblems(submitted, [held[1]], { requests: 2, placed: 1 })).toEqual([
      'round request q1 was acknowledged but the round does not hold it',
      'closeRound answered 2 requests, 1 placed; the round holds 1, 0 confirmed',
    ]);
    expect(roundProblems(new Map([['q1', 'b']]), held, { requests: 2, placed: 1 })).toEqual([
      'round request q1 belongs to a, not b',
    ]);
    expect(roundProblems(submitted, held, { requests: 2, placed: 2 })).toEqual([
      'closeRound answered 2 requests, 2 placed; the round holds 2, 1 confirmed',
    ]);
  });
});
