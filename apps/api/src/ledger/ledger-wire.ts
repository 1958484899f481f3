import { FeedMessage, MAX_PAYLOAD_BYTES } from '../events/change-feed.service';

/**
 * What one committed transaction did to one cluster's ledger rows. Hours are epoch hours
 * (ms / 3,600,000); TFLOPS and W are integers, as in the ledger.
 */
export type LedgerChange =
  /** booked TFLOPS, allocated green W and grid W drawn added (negative: released) in hour h[i] */
  | { t: 'd'; h: number[]; tf: number[]; g: number[]; gw: number[] }
  /** capacity set to `tf` over [f, to) */
  | { t: 'cap'; f: number; to: number; tf: number }
  /** green supply changed by `w` W over [f, to), priced `p` per MWh (a window added or removed) */
  | { t: 'gw'; f: number; to: number; w: number; p: number }
  /** ledger rows created over [f, to) with capacity `tf` */
  | { t: 'rows'; f: number; to: number; tf: number }
  /**
   * the cluster was registered or its parameters changed, or a green revision re-set supply and
   * allocation hour by hour over [f, to): reload it (subscribers hear of [f, to) when given)
   */
  | { t: 'cl'; f?: number; to?: number };

/** Version `v` of cluster `c`'s ledger. `pre`: the sender applied it before commit. `p`: part i of n. */
export interface LedgerMessage extends FeedMessage {
  k: 'l';
  c: string;
  v: number;
  pre?: 1;
  p?: [number, number];
  d: LedgerChange;
}

/** A site's reserved grid capacity changed: every process reads it again. */
export interface SiteMessage extends FeedMessage {
  k: 's';
  s: string;
}

/** A booking event: id, organization, cluster, [from, to) epoch hours, C(onfirmed) or X (cancelled). */
/**
 * One booking event: [booking id, organization, cluster, from hour, to hour, C(onfirmed) | X (cancelled)
 * | G (green revised), reference]: the reference is the round request a clearing decided (C), or the
 * supply revision (G); a round request the clearing refused is ['', organization, '', 0, 0, 'F', its id].
 */
export type BookingEventTuple =
  | [string, string, string, number, number, 'C' | 'X' | 'F' | 'G']
  | [string, string, string, number, number, 'C' | 'X' | 'F' | 'G', string];

/** Booking events of one transaction; `vo`: organizations whose vouchers changed. */
export interface BookingEventsMessage extends FeedMessage {
  k: 'b';
  b: BookingEventTuple[];
  vo?: string[];
}

type Encode = (m: Record<string, unknown> & { k: string }) => string;

/**
 * NOTIFY payloads for one ledger change, split into parts below MAX_PAYLOAD_BYTES when a group's
 * per-hour deltas are long (the receiver applies the version once all parts are in).
 */
export function ledgerPayloads(
  encode: Encode,
  cluster: string,
  version: number,
  d: LedgerChange,
  pre: boolean,
): string[] {
  const whole = encode({ k: 'l', c: cluster, v: version, ...(pre ? { pre: 1 } : {}), d });
  if (whole.length <= MAX_PAYLOAD_BYTES || d.t !== 'd') return [whole];
  // an hour entry is at most ~50 bytes (hour, TFLOPS, green and grid W with signs and commas)
  const per = Math.max(1, Math.floor((MAX_PAYLOAD_BYTES - 300) / 55));
  const n = Math.ceil(d.h.length / per);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = i * per;
    const b = Math.min(d.h.length, a + per);
    out.push(
      encode({
        k: 'l',
        c: cluster,
        v: version,
        ...(pre ? { pre: 1 } : {}),
        p: [i, n],
        d: { t: 'd', h: d.h.slice(a, b), tf: d.tf.slice(a, b), g: d.g.slice(a, b), gw: d.gw.slice(a, b) },
      }),
    );
  }
  return out;
}

/** NOTIFY payloads for booking events, as many per payload as fit. */
export function bookingPayloads(encode: Encode, events: BookingEventTuple[], voucherOrgs: string[]): string[] {
  const out: string[] = [];
  let chunk: BookingEventTuple[] = [];
  let size = 0;
  const flush = () => {
    out.push(encode({ k: 'b', b: chunk, ...(out.length === 0 && voucherOrgs.length ? { vo: voucherOrgs } : {}) }));
    chunk = [];
    size = 0;
  };
  const head = 200 + voucherOrgs.reduce((a, o) => a + o.length + 3, 0);
  for (const e of events) {
    const n = JSON.stringify(e).length + 1;
    if (chunk.length > 0 && head + size + n > MAX_PAYLOAD_BYTES) flush();
    chunk.push(e);
    size += n;
  }
  if (chunk.length > 0 || (out.length === 0 && voucherOrgs.length > 0)) flush();
  return out;
}

/**
 * Joins the parts of ledger changes too large for one NOTIFY (`p`: [index, count]): the whole
 * change once its last part arrived, null until then; a message in one piece as it is. One way
 * for every reader of the feed (the timelines, the live events).
 */
export class LedgerParts {
  private readonly parts = new Map<string, LedgerMessage[]>();

  join(m: LedgerMessage): LedgerMessage | null {
    if (!m.p) return m;
    const key = `${m.c}:${m.v}`;
    const got = this.parts.get(key) ?? [];
    got.push(m);
    if (got.length < m.p[1]) {
      this.parts.set(key, got);
      return null;
    }
    this.parts.delete(key);
    const h: number[] = [];
    const tf: number[] = [];
    const g: number[] = [];
    const gw: number[] = [];
    for (const x of got.sort((a, b) => a.p![0] - b.p![0])) {
      if (x.d.t !== 'd') continue;
      for (let i = 0; i < x.d.h.length; i++) {
        h.push(x.d.h[i]);
        tf.push(x.d.tf[i]);
        g.push(x.d.g[i]);
        gw.push(x.d.gw[i]);
      }
    }
    return { ...m, p: undefined, d: { t: 'd', h, tf, g, gw } };
  }

  /** Forgets the parts held (the feed reconnected: the rest of them will not come). */
  clear(): void {
    this.parts.clear();
  }
}
