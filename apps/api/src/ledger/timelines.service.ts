import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { SqlSession } from '@pflex/persistence';
import { Fleet } from '@pflex/scheduler';
import type { Logger } from 'pino';
import { HOUR_MS } from '../common/time.utils';
import { APP_CONFIG, PINO } from '../config';
import type { AppConfig } from '../config';
import { ChangeFeed } from '../events/change-feed.service';
import { ClusterLedger, ClusterMeta, LedgerRepository } from './ledger.repository';
import { LedgerChange, LedgerMessage } from './ledger-wire';
import { LedgerService } from './ledger.service';

export type { ClusterMeta };

/** Hours past the materialised ledger the timelines reach, so the time base moves once a day. */
const SHIFT_MARGIN_HOURS = 48;
/** How long a group waits for the change feed to deliver versions it saw in the database. */
export const CATCH_UP_MS = 250;

/**
 * The scheduler's timelines of every cluster over the bookable horizon, in this process's memory
 * (a `Fleet`; slot 0 is the epoch hour `base`). Loaded from the ledger at boot, kept current
 * from the committed-change stream: each cluster's changes carry its ledger version, applied in
 * version order; a gap, an inconsistent change or a listener reconnect reloads the cluster.
 *
 * Quotes read it directly. Group commits change it only inside `exclusive` sections (their
 * tentative placements, undone on rollback); changes that arrive meanwhile wait in a buffer.
 * The cache is never trusted for safety: the ledger's CHECK constraints are.
 */
@Injectable()
export class TimelinesService implements OnApplicationBootstrap, OnModuleDestroy {
  private fleetRef: Fleet | null = null;
  private baseHour = 0;
  private span = 0;
  private metas: ClusterMeta[] = [];
  private readonly byId = new Map<string, ClusterMeta>();
  private readonly versions = new Map<string, number>();
  /** an exclusive section (group commit or reload) is running: feed changes wait in `buffer` */
  private held = true;
  private readonly buffer: LedgerMessage[] = [];
  private readonly parts = new Map<string, LedgerMessage[]>();
  private readonly waiters = new Set<() => void>();
  /** versions of this process's own group commits, applied before commit, whose message is still to come */
  private readonly own = new Set<string>();
  private readonly toReload = new Set<string>();
  private reloadQueued = false;
  private tail: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** counters for tests and metrics */
  readonly stats = { reloads: 0, gaps: 0, applied: 0 };
  private scratch = { cap: new Int32Array(256), booked: new Int32Array(256), supply: new Int32Array(256), alloc: new Int32Array(256), price: new Float64Array(256) };

  constructor(
    private readonly repo: LedgerRepository,
    private readonly feed: ChangeFeed,
    private readonly ledger: LedgerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PINO) private readonly log: Logger,
  ) {
    this.feed.on<LedgerMessage>('l', (m) => this.receive(m));
    this.feed.onResync(() => this.reloadAll('listener reconnected'));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.ledger.materialise();
    await this.exclusive(async () => {
      this.baseHour = Math.floor(this.config.now() / HOUR_MS);
      this.span = this.config.horizonDays * 24 + 24 + SHIFT_MARGIN_HOURS;
      const all = await this.repo.load(null, null, this.baseHour, this.baseHour + this.span);
      this.rebuild(all.map(metaOf));
      for (const c of all) this.loadLedger(c);
    });
    this.log.info({ clusters: this.metas.length, slots: this.span, bytes: this.bytes() }, 'timelines loaded');
    // hourly: extend the ledger (announced on the feed); daily: move the time base
    this.timer = setInterval(() => void this.tick(), HOUR_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** The fleet (null while no cluster exists). Do not keep it across an await: it is rebuilt when clusters are added. */
  get fleet(): Fleet | null {
    return this.fleetRef;
  }

  /** Epoch hour of slot 0. */
  get base(): number {
    return this.baseHour;
  }

  /** Clusters in catalogue order (registration time, then id): the default order of a request. */
  clusters(): readonly ClusterMeta[] {
    return this.metas;
  }

  cluster(id: string): ClusterMeta | undefined {
    return this.byId.get(id);
  }

  version(cluster: string): number {
    return this.versions.get(cluster) ?? -1;
  }

  /** Bytes of typed arrays held by the timelines. */
  bytes(): number {
    const f = this.fleetRef;
    return f ? Math.round(f.bytesPerClusterSlot() * f.slots * f.clusterIds.length) : 0;
  }

  /**
   * Runs `fn` alone: no other exclusive section, no feed change applied meanwhile (they are
   * buffered and applied after, in version order). Group commits place tentatively inside.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      this.held = true;
      try {
        return await fn();
      } finally {
        this.held = false;
        this.drain();
        for (const w of [...this.waiters]) w();
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Inside an exclusive section with no tentative change outstanding: applies what the feed delivered. */
  drain(): void {
    while (this.buffer.length > 0) this.apply(this.buffer.shift()!);
    if (this.toReload.size > 0 && !this.held) this.queueReload();
  }

  /**
   * Inside an exclusive section: waits until the feed brought `cluster` to `version` (commits
   * the database already has), applying changes as they come; false on timeout.
   */
  async catchUp(cluster: string, version: number, ms = CATCH_UP_MS): Promise<boolean> {
    const end = Date.now() + ms;
    for (;;) {
      this.drain();
      if (this.version(cluster) >= version && !this.toReload.has(cluster)) return true;
      const left = end - Date.now();
      if (left <= 0 || !this.feed.live) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.waiters.delete(done);
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(done, Math.min(left, 20));
        this.waiters.add(done);
      });
    }
  }

  /**
   * Inside an exclusive section, after this process committed a change it had applied before
   * commit (a group's placements) as `version`: taken at once when it follows the version held,
   * else remembered so that its message, when it arrives in order, advances without applying.
   */
  ownCommitted(cluster: string, version: number): void {
    const cur = this.version(cluster);
    if (version === cur + 1) this.versions.set(cluster, version);
    else if (version > cur) this.own.add(`${cluster}:${version}`);
  }

  /**
   * Adds (`sign` 1) or removes (-1) a booking's TFLOPS and per-hour green W over
   * [slot, slot + hours) of a cluster. Throws SchedulerInputError, changing nothing, if the
   * result would leave [0, capacity] or [0, supply].
   */
  addBooking(cluster: string, slot: number, hours: number, tflops: number, greenW: ArrayLike<number>, sign: 1 | -1): void {
    const f = this.fleetRef!;
    const t = f.timeline(cluster);
    const sc = this.grow(hours);
    for (let i = 0; i < hours; i++) {
      const k = slot + i;
      sc.cap[i] = t.capacityTflops[k];
      sc.booked[i] = t.bookedTflops[k] + sign * tflops;
      const s = t.greenSupplyW[k];
      sc.supply[i] = s;
      sc.alloc[i] = t.greenAllocW[k] + sign * greenW[i];
      sc.price[i] = s > 0 ? t.greenPriceWeight[k] / s : 0;
    }
    f.loadSlots(cluster, slot, this.view(hours));
  }

  // ---------------------------------------------------------------------------------------

  private grow(n: number) {
    if (this.scratch.cap.length < n) {
      const m = Math.max(n, this.scratch.cap.length * 2);
      this.scratch = { cap: new Int32Array(m), booked: new Int32Array(m), supply: new Int32Array(m), alloc: new Int32Array(m), price: new Float64Array(m) };
    }
    return this.scratch;
  }

  private view(n: number) {
    const s = this.scratch;
    return { capacityTflops: s.cap.subarray(0, n), bookedTflops: s.booked.subarray(0, n), greenSupplyW: s.supply.subarray(0, n), greenAllocW: s.alloc.subarray(0, n), greenPricePerMwh: s.price.subarray(0, n) };
  }

  private receive(m: LedgerMessage): void {
    if (typeof m.c !== 'string' || !Number.isFinite(m.v) || !m.d) return;
    if (m.p) {
      const key = `${m.c}:${m.v}`;
      const got = this.parts.get(key) ?? [];
      got.push(m);
      if (got.length < m.p[1]) {
        this.parts.set(key, got);
        return;
      }
      this.parts.delete(key);
      const h: number[] = [];
      const tf: number[] = [];
      const g: number[] = [];
      for (const x of got.sort((a, b) => a.p![0] - b.p![0])) {
        if (x.d.t !== 'd') continue;
        h.push(...x.d.h);
        tf.push(...x.d.tf);
        g.push(...x.d.g);
      }
      m = { ...m, p: undefined, d: { t: 'd', h, tf, g } };
    }
    if (this.held) this.buffer.push(m);
    else {
      this.apply(m);
      if (this.toReload.size > 0) this.queueReload();
    }
    for (const w of [...this.waiters]) w();
  }

  /** Applies one change in version order; anything out of order or inconsistent marks the cluster for a reload. */
  private apply(m: LedgerMessage): void {
    const cur = this.versions.get(m.c);
    if (cur === undefined || m.d.t === 'cl') {
      this.toReload.add(m.c);
      return;
    }
    if (this.toReload.has(m.c) || m.v <= cur) return;
    if (m.v === cur + 1 && this.own.delete(`${m.c}:${m.v}`)) {
      this.versions.set(m.c, m.v);
      this.stats.applied++;
      return;
    }
    if (m.v > cur + 1) {
      this.stats.gaps++;
      this.log.warn({ cluster: m.c, have: cur, got: m.v }, 'ledger version gap: reloading the cluster');
      this.toReload.add(m.c);
      return;
    }
    try {
      this.applyChange(m.c, m.d);
    } catch (err) {
      this.log.warn({ err, cluster: m.c, version: m.v }, 'ledger change does not fit the timelines: reloading the cluster');
      this.toReload.add(m.c);
      return;
    }
    this.versions.set(m.c, m.v);
    this.stats.applied++;
  }

  private applyChange(cluster: string, d: LedgerChange): void {
    const f = this.fleetRef;
    if (!f) return;
    const t = f.timeline(cluster);
    const base = this.baseHour;
    const end = base + f.slots;
    if (d.t === 'd') {
      // contiguous runs of hours, one loadSlots each
      let i = 0;
      while (i < d.h.length) {
        let j = i + 1;
        while (j < d.h.length && d.h[j] === d.h[j - 1] + 1) j++;
        const a = Math.max(d.h[i], base);
        const b = Math.min(d.h[j - 1] + 1, end);
        if (a < b) {
          const sc = this.grow(b - a);
          for (let h = a; h < b; h++) {
            const k = h - base;
            const q = h - a;
            const x = i + (h - d.h[i]);
            sc.cap[q] = t.capacityTflops[k];
            sc.booked[q] = t.bookedTflops[k] + d.tf[x];
            const s = t.greenSupplyW[k];
            sc.supply[q] = s;
            sc.alloc[q] = t.greenAllocW[k] + d.g[x];
            sc.price[q] = s > 0 ? t.greenPriceWeight[k] / s : 0;
          }
          f.loadSlots(cluster, a - base, this.view(b - a));
        }
        i = j;
      }
      return;
    }
    if (d.t === 'cl') return;
    const a = Math.max(d.f, base);
    const b = Math.min(d.to, end);
    if (a >= b) return;
    const sc = this.grow(b - a);
    for (let h = a; h < b; h++) {
      const k = h - base;
      const q = h - a;
      if (d.t === 'rows') {
        sc.cap[q] = d.tf;
        sc.booked[q] = 0;
        sc.supply[q] = 0;
        sc.alloc[q] = 0;
        sc.price[q] = 0;
        continue;
      }
      sc.cap[q] = d.t === 'cap' ? d.tf : t.capacityTflops[k];
      sc.booked[q] = t.bookedTflops[k];
      sc.alloc[q] = t.greenAllocW[k];
      const s0 = t.greenSupplyW[k];
      if (d.t === 'gw') {
        const s = s0 + d.w;
        const weight = t.greenPriceWeight[k] + d.w * d.p;
        sc.supply[q] = s;
        sc.price[q] = s > 0 ? Math.max(0, weight / s) : 0;
      } else {
        sc.supply[q] = s0;
        sc.price[q] = s0 > 0 ? t.greenPriceWeight[k] / s0 : 0;
      }
    }
    f.loadSlots(cluster, a - base, this.view(b - a));
  }

  /** Puts one cluster's ledger rows into the fleet (hours without a row: capacity 0) and takes its version. */
  private loadLedger(c: ClusterLedger): void {
    const f = this.fleetRef;
    if (!f || f.clusterIndex(c.id) < 0) return;
    const n = f.slots;
    const cap = new Int32Array(n);
    const booked = new Int32Array(n);
    const supply = new Int32Array(n);
    const alloc = new Int32Array(n);
    const price = new Float64Array(n);
    for (let i = 0; i < c.hours.length; i++) {
      const k = c.hours[i] - this.baseHour;
      if (k < 0 || k >= n) continue;
      cap[k] = c.capacity[i];
      booked[k] = c.booked[i];
      supply[k] = c.supply[i];
      alloc[k] = c.alloc[i];
      price[k] = c.price[i];
    }
    f.loadSlots(c.id, 0, { capacityTflops: cap, bookedTflops: booked, greenSupplyW: supply, greenAllocW: alloc, greenPricePerMwh: price });
    this.versions.set(c.id, c.version);
    this.toReload.delete(c.id);
    for (const k of this.own) {
      const [id, v] = k.split(':');
      if (id === c.id && Number(v) <= c.version) this.own.delete(k);
    }
  }

  /** A new Fleet for `metas` (catalogue order), copying the timelines of clusters the old one had. */
  private rebuild(metas: ClusterMeta[], newBase = this.baseHour): void {
    const old = this.fleetRef;
    const oldBase = this.baseHour;
    this.metas = [...metas].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.byId.clear();
    for (const m of this.metas) this.byId.set(m.id, m);
    this.baseHour = newBase;
    if (this.metas.length === 0) {
      this.fleetRef = null;
      return;
    }
    const f = Fleet.fromSpec({
      slots: this.span,
      clusters: this.metas.map((m) => ({ id: m.id, capacityPflops: 0, kwPerPflops: m.kwPerPflops, pue: m.pue, pricePerPflopsHour: m.pricePerPflopsHour, gridPricePerMwh: m.gridPricePerMwh })),
    });
    if (old) {
      const a = Math.max(newBase, oldBase);
      const b = Math.min(newBase + f.slots, oldBase + old.slots);
      for (const m of this.metas) {
        if (old.clusterIndex(m.id) < 0 || a >= b) continue;
        const t = old.timeline(m.id);
        const from = a - oldBase;
        const to = b - oldBase;
        const price = new Float64Array(to - from);
        for (let k = from; k < to; k++) price[k - from] = t.greenSupplyW[k] > 0 ? t.greenPriceWeight[k] / t.greenSupplyW[k] : 0;
        f.loadSlots(m.id, a - newBase, {
          capacityTflops: t.capacityTflops.subarray(from, to),
          bookedTflops: t.bookedTflops.subarray(from, to),
          greenSupplyW: t.greenSupplyW.subarray(from, to),
          greenAllocW: t.greenAllocW.subarray(from, to),
          greenPricePerMwh: price,
        });
      }
    }
    this.fleetRef = f;
  }

  private queueReload(): void {
    if (this.reloadQueued || this.closed) return;
    this.reloadQueued = true;
    void this.exclusive(async () => {
      this.reloadQueued = false;
      const ids = [...this.toReload];
      if (ids.length === 0) return;
      try {
        await this.reloadInside(ids);
      } catch (err) {
        this.log.warn({ err, clusters: ids.length }, 'timeline reload failed; retrying');
        setTimeout(() => this.queueReload(), 1000).unref();
      }
    }).catch(() => undefined);
  }

  /** Reloads the listed clusters now (catalogue entries and rows), e.g. one just registered; unknown ids are dropped. */
  async refresh(ids: string[]): Promise<void> {
    for (const id of ids) this.toReload.add(id);
    await this.exclusive(() => this.reloadInside(ids.filter((id) => this.toReload.has(id))));
  }

  /**
   * Inside an exclusive section with no tentative change on these clusters: reloads them
   * (catalogue entries, rows, versions), on `s` when the caller holds a connection (PGlite has
   * one session: asking the pool for another would wait forever).
   */
  async reloadInside(ids: string[], s: SqlSession | null = null): Promise<void> {
    if (ids.length === 0) return;
    const got = await this.repo.load(s, ids, this.baseHour, this.baseHour + this.span);
    this.adopt(got.map(metaOf), ids);
    for (const c of got) this.loadLedger(c);
    for (const id of ids) this.toReload.delete(id);
    this.stats.reloads += got.length;
  }

  /**
   * Takes fresh catalogue entries of the clusters `ids` (those missing from `fresh` were
   * deleted). The fleet is rebuilt only when a cluster is new or gone or its scheduling
   * parameters changed; names and owners are updated in place.
   */
  private adopt(fresh: ClusterMeta[], ids: string[]): void {
    const f = this.fleetRef;
    const same = (m: ClusterMeta) => {
      const i = f ? f.clusterIndex(m.id) : -1;
      return i >= 0 && f!.kwPerPflops[i] === m.kwPerPflops && f!.pue[i] === m.pue && f!.pricePerPflopsHour[i] === m.pricePerPflopsHour && f!.gridPricePerMwh[i] === m.gridPricePerMwh;
    };
    if (fresh.length === ids.length && fresh.every(same)) {
      for (const m of fresh) Object.assign(this.byId.get(m.id)!, m);
      return;
    }
    const known = new Set(ids);
    this.rebuild(this.metas.filter((m) => !known.has(m.id)).concat(fresh));
  }

  /**
   * Read-your-writes for this process: after an operator's change to `cluster` committed as
   * `version`, waits for the feed to bring it here (a reload if it does not come within a second).
   */
  async sync(cluster: string, version: number): Promise<void> {
    const end = Date.now() + 1000;
    while (this.version(cluster) < version && Date.now() < end) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.waiters.delete(done);
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(done, 20);
        this.waiters.add(done);
      });
    }
    if (this.version(cluster) < version) await this.refresh([cluster]);
  }

  /** Marks every cluster for a reload (the feed lost messages). */
  reloadAll(why: string): void {
    this.log.warn({ why }, 'reloading all timelines');
    for (const m of this.metas) this.toReload.add(m.id);
    if (!this.held) this.queueReload();
  }

  private async tick(): Promise<void> {
    try {
      await this.ledger.materialise();
      const now = Math.floor(this.config.now() / HOUR_MS);
      if (now - this.baseHour >= 24) {
        await this.exclusive(async () => this.rebuild(this.metas, now));
        this.log.info({ base: new Date(now * HOUR_MS).toISOString() }, 'timelines moved to a new time base');
      }
    } catch (err) {
      this.log.error({ err }, 'ledger upkeep failed');
    }
  }
}

function metaOf(c: ClusterLedger): ClusterMeta {
  return {
    id: c.id,
    ownerOrgId: c.ownerOrgId,
    name: c.name,
    region: c.region,
    capacityTflops: c.capacityTflops,
    kwPerPflops: c.kwPerPflops,
    pue: c.pue,
    pricePerPflopsHour: c.pricePerPflopsHour,
    gridPricePerMwh: c.gridPricePerMwh,
    createdAt: c.createdAt,
  };
}
