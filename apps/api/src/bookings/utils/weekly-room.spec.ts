import { worstWeek, type StartUsage } from '../../quotas/quotas.service';
import type { Decision, JobRequest } from '@pflex/scheduler';
import { leastWeeklyExcessStart, weeklyRoom } from './weekly-room';

/** The same by brute force: each start checked with worstWeek (the rule bookCompute checks). */
function bruteRoom(limit: number, usage: StartUsage[], fromH: number, lastH: number, th: number): [number, number][] {
  const out: [number, number][] = [];
  for (let h = fromH; h <= lastH; h++) {
    if (worstWeek(usage, h).used + th > limit + 1e-6) continue;
    const last = out[out.length - 1];
    if (last && last[1] === h - 1) last[1] = h;
    else out.push([h, h]);
  }
  return out;
}

/** A seeded generator of numbers in [0, 1). */
function lcg(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Up to 11 bookings' starts, each 1-50 PFLOPS-hours, in epoch hours [1000, 1700). */
function randomUsage(rnd: () => number): StartUsage[] {
  return Array.from({ length: Math.floor(rnd() * 12) }, () => ({
    h: 1000 + Math.floor(rnd() * 700),
    tflopsHours: 1000 * Math.floor(1 + rnd() * 50),
  }));
}

describe('weeklyRoom: the starts a booking keeps the 7-day rule at', () => {
  it('agrees with checking every start by brute force on random usage', () => {
    const rnd = lcg(7);
    for (let trial = 0; trial < 300; trial++) {
      const usage = randomUsage(rnd);
      const fromH = 1000 + Math.floor(rnd() * 500);
      const lastH = fromH + Math.floor(rnd() * 300) - 10;
      const limit = 1000 * Math.floor(rnd() * 200);
      const th = 1000 * Math.floor(1 + rnd() * 40);
      expect({ trial, room: weeklyRoom(limit, usage, fromH, lastH, th) }).toEqual({
        trial,
        room: bruteRoom(limit, usage, fromH, lastH, th),
      });
    }
  });

  it('opens again once the busy week has passed', () => {
    // 900 PFLOPS-hours starting at hour 100: with a 1,000 limit a 200 PFLOPS-hour booking may
    // start only where no 7-day window holds both, i.e. from hour 100 + 168 on
    const usage = [{ h: 100, tflopsHours: 900_000 }];
    expect(weeklyRoom(1_000_000, usage, 50, 300, 200_000)).toEqual([[268, 300]]);
    expect(weeklyRoom(1_000_000, usage, 50, 300, 100_000)).toEqual([[50, 300]]);
    expect(weeklyRoom(1_000_000, [], 5, 4, 1)).toEqual([]);
  });
});

describe('leastWeeklyExcessStart: the start the 7-day rule blocks least, among those that fit', () => {
  it('agrees with brute force over random usage and random sets of starts with room', () => {
    const rnd = lcg(11);
    for (let trial = 0; trial < 300; trial++) {
      const usage = randomUsage(rnd);
      const hours = 1 + Math.floor(rnd() * 5);
      const earliestH = 1000 + Math.floor(rnd() * 500);
      const deadlineH = earliestH + hours + Math.floor(rnd() * 300);
      // the starts where capacity (and green, and the grid) would take the request
      const room = new Set<number>();
      for (let h = earliestH; h + hours <= deadlineH; h++) if (rnd() < 0.2) room.add(h);
      const slot0 = earliestH - 3;
      // the scheduler's answer within a window: here its earliest start with room
      const place = (job: JobRequest): Decision => {
        for (let s = job.earliest; s + job.hours <= job.deadline; s++)
          if (room.has(slot0 + s)) return { ok: true, placement: { start: s } } as unknown as Decision;
        return { ok: false } as unknown as Decision;
      };
      const v = { pflops: 1, hours, earliestH, deadlineH, clusters: [] };
      const at = leastWeeklyExcessStart(slot0, v, usage, place);
      const least = Math.min(...[...room].map((h) => worstWeek(usage, h).used));
      expect({
        trial,
        used: at === null ? null : worstWeek(usage, at).used,
        inRoom: at === null || room.has(at),
      }).toEqual({
        trial,
        used: room.size === 0 ? null : least,
        inRoom: true,
      });
    }
  });
});
