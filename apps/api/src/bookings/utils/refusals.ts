import { Injectable } from '@nestjs/common';
import { Decision, drawWatts, Fleet, Objective, requiredGreenWh, toTflops } from '@pflex/scheduler';
import { HOUR_MS, iso } from '../../common/time.utils';
import { QuotasService } from '../../quotas/quotas.service';
import { BookingErrorCode, BookingException } from '../bookings.exception';
import { RefusalReasonEnum } from '../dtos/booking.model';
import { jobOf, ShareCap, ValidRequest } from './fleet-window';

/**
 * Why a request was not placed, said truthfully: what would have to change for it to fit.
 * A startup with a cluster-share rule is told QUOTA_EXCEEDED only when the same request fits
 * the timelines without the rule; otherwise the reason the rule-free placement gives
 * (NO_CAPACITY; GRID_LIMIT when capacity and green exist but the site's reserved grid does
 * not; GREEN_SHORTFALL when capacity exists but not the green).
 */
@Injectable()
export class Refusals {
  constructor(private readonly quotas: QuotasService) {}

  /** `main`: the full timelines (slot 0 = epoch hour `base`); `cap`: the share rule that cut the room, if any. */
  explain(
    v: ValidRequest,
    d: Extract<Decision, { ok: false }>,
    objective: Objective,
    main: Fleet,
    base: number,
    cap: ShareCap | null,
  ): Error {
    if (cap) {
      const free = main.place(jobOf(v, base), objective);
      if (free.ok) return this.shareExceeded(v, cap, main, base);
      return this.plain(v, free);
    }
    return this.plain(v, d);
  }

  /** The reason and message a refusal shows (quotes show them per objective). */
  reasonOf(e: Error): { reason: RefusalReasonEnum; message: string } {
    if (e instanceof BookingException && e.code === BookingErrorCode.GREEN_SHORTFALL)
      return { reason: RefusalReasonEnum.GREEN_SHORTFALL, message: e.message };
    if (e instanceof BookingException && e.code === BookingErrorCode.GRID_LIMIT)
      return { reason: RefusalReasonEnum.GRID_LIMIT, message: e.message };
    if (e instanceof BookingException) return { reason: RefusalReasonEnum.NO_CAPACITY, message: e.message };
    return { reason: RefusalReasonEnum.QUOTA_EXCEEDED, message: e.message };
  }

  private plain(v: ValidRequest, d: Extract<Decision, { ok: false }>): BookingException {
    const between = `between ${iso(v.earliestH * HOUR_MS)} and ${iso(v.deadlineH * HOUR_MS)}`;
    const one = v.clusters.length === 1 ? `on cluster ${v.clusters[0].name}` : null;
    // what exists, exists on one of the clusters; what is missing is missing on all of them
    const win = `${between} ${one ?? `on one of the ${v.clusters.length} clusters`}`;
    const all = `${between} ${one ?? `on ${v.clusters.length} clusters`}`;
    if (d.reason === 'GREEN_SHORTFALL') {
      return new BookingException(
        BookingErrorCode.GREEN_SHORTFALL,
        `capacity exists ${win}, but not enough free green power to reach minGreenShare ${v.minGreenShare}`,
      );
    }
    if (d.reason === 'GRID_LIMIT') {
      return new BookingException(
        BookingErrorCode.GRID_LIMIT,
        `${v.minGreenShare ? 'capacity and green exist' : 'capacity exists'} ${win}, but every such run would draw more grid power than its site has reserved`,
      );
    }
    return new BookingException(
      BookingErrorCode.NO_CAPACITY,
      `no ${v.hours} h run with ${v.pflops} PFLOPS free ${all}`,
    );
  }

  /**
   * The smallest excess over the share among the starts the request fits without the rule
   * (capacity free, green share reached, within the site's reserved grid), naming the cluster.
   */
  private shareExceeded(v: ValidRequest, cap: ShareCap, main: Fleet, base: number): Error {
    const slots = v.deadlineH - v.earliestH;
    const from = v.earliestH - base;
    const tf = toTflops(v.pflops);
    const candidates = v.clusters.map((c) => {
      const t = main.timeline(c.id);
      const site = main.siteTimeline(main.siteOfCluster(c.id));
      const draw = drawWatts(v.pflops, c.kwPerPflops, c.pue);
      const need = requiredGreenWh(v.minGreenShare ?? 0, draw, v.hours);
      return {
        id: c.id,
        name: c.name,
        held: cap.held.get(c.id)!,
        capacityAt: (i: number) => t.capacityTflops[from + i],
        fits: (start: number) => {
          let green = 0;
          for (let i = from + start; i < from + start + v.hours; i++) {
            if (t.freeTflops[i] < tf) return false;
            const g = Math.min(draw, t.greenFreeW[i]);
            if (draw - g > site.capW[i] - site.usedW[i]) return false;
            green += g;
          }
          return green >= need;
        },
      };
    });
    return this.quotas.shareExceeded(cap.share, candidates, slots, v.hours, tf, v.earliestH * HOUR_MS);
  }
}
