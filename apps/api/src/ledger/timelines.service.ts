import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { SqlSession } from '@pflex/persistence';
import { Fleet, Placement } from '@pflex/scheduler';
import type { Logger } from 'pino';
import { HOUR_MS } from '../common/time.utils';
import { APP_CONFIG, PINO } from '../config';
import type { AppConfig } from '../config';
import { ChangeFeed } from '../events/change-feed.service';
import { tariffOf } from '../clusters/tariff';
import { metaOf, sameScheduling } from './cluster-meta';
import { ClusterLedger, ClusterMeta, LedgerRepository, SiteCaps } from './ledger.repository';
import { LedgerMessage, LedgerParts, SiteMessage } from './ledger-wire';
import { LedgerService } from './ledger.service';
import { SlotWriter } from './slot-writer';

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
  private readonly parts = new LedgerParts();
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
  private readonly writer = new SlotWriter();
  /** reserved grid capacity of the sites, as the database last showed it (absolute epoch hours) */
  private readonly siteCaps = new Map<string, SiteCaps>();
  private readonly pendingSites = new Set<string>();
  private sitesQueued = false;

  constructor(
    private readonly repo: LedgerRepository,
    private readonly feed: ChangeFeed,
    private readonly ledger: LedgerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PINO) private readonly log: Logger,
  ) {
    this.feed.on<LedgerMessage>('l', (m) => this.receive(m));
    this.feed.on<SiteMessage>('s', (m) => this.siteChanged(m));
    this.feed.onResync(() => this.reloadAll('listener reconnected'));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.ledger.materialise();
    await this.exclusive(async () => {
      this.baseHour = Math.floor(this.config.now() / HOUR_MS);
      this.span = this.config.horizonDays * 24 + 24 + SHIFT_MARGIN_HOURS;
      await this.loadInBatches(null, null);
      await this.loadSiteCaps(null, null);
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
   * Inside an exclusive section with no tentative change outstanding: brings every cluster of
   * `versions` up to the version the database showed, from the change feed, or by a reload on
   * `s` when the feed does not deliver in time. Returns how many were behind and reloaded.
   */
  async current(versions: ReadonlyMap<string, number>, s: SqlSession): Promise<{ behind: number; reloaded: number }> {
    const behind = [...versions].filter(([c, v]) => this.version(c) < v);
    const reload: string[] = [];
    for (const [c, v] of behind) if (!(await this.catchUp(c, v))) reload.push(c);
    await this.reloadInside(reload, s);
    return { behind: behind.length, reloaded: reload.length };
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
   * Adds (`sign` 1) or removes (-1) a placement's TFLOPS, per-hour green W and grid W over
   * [slot, slot + hours) of its cluster. Throws SchedulerInputError, changing nothing, if the
   * result would leave [0, capacity] or [0, supply].
   */
  addBooking(pl: Placement, slot: number, sign: 1 | -1): void {
    this.writer.add(this.fleetRef!, pl.cluster, slot, pl.hours, pl.tflops, pl.greenW, null, pl.drawW, 0, sign);
  }

  // ---------------------------------------------------------------------------------------

  private receive(m: LedgerMessage): void {
    if (typeof m.c !== 'string' || !Number.isFinite(m.v) || !m.d) return;
    const whole = this.parts.join(m);
    if (!whole) return;
    m = whole;
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
      if (this.fleetRef) this.writer.apply(this.fleetRef, this.baseHour, m.c, m.d);
    } catch (err) {
      this.log.warn(
        { err, cluster: m.c, version: m.v },
        'ledger change does not fit the timelines: reloading the cluster',
      );
      this.toReload.add(m.c);
      return;
    }
    this.versions.set(m.c, m.v);
    this.stats.applied++;
  }

  /** Puts one cluster's ledger rows into the fleet (hours without a row: capacity 0) and takes its version. */
  private loadLedger(c: ClusterLedger): void {
    const f = this.fleetRef;
    if (!f || f.clusterIndex(c.id) < 0) return;
    // the rows are the database's; the site's cap here may be older than them: lifted while they load
    const site = c.siteId && f.siteIndex(c.siteId) >= 0 ? c.siteId : null;
    if (site) this.writer.loadSiteCaps(f, this.baseHour, site, undefined);
    this.writer.load(f, this.baseHour, c);
    if (site) this.applySiteCaps(site);
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
    const sites = [...new Set(this.metas.flatMap((m) => (m.siteId ? [m.siteId] : [])))].sort();
    const f = Fleet.fromSpec({
      slots: this.span,
      sites: sites.map((id) => ({ id })),
      clusters: this.metas.map((m) => ({
        id: m.id,
        capacityPflops: 0,
        kwPerPflops: m.kwPerPflops,
        pue: m.pue,
        pricePerPflopsHour: m.pricePerPflopsHour,
        gridPricePerMwh: m.gridPricePerMwh,
        ...(m.siteId ? { site: m.siteId } : {}),
        ...(m.gridTariff || m.postedGridPrices.length > 0
          ? { gridPrices: tariffOf(m, m.postedGridPrices).ranges(newBase, newBase, newBase + this.span) }
          : {}),
      })),
    });
    if (old) this.writer.copy(old, oldBase, f, newBase);
    this.fleetRef = f;
    for (const id of sites) this.applySiteCaps(id);
  }

  /** Reads the reserved grid capacity of the sites (all, or the listed ones) and puts it into the timelines. */
  private async loadSiteCaps(s: SqlSession | null, ids: string[] | null): Promise<void> {
    const got = await this.repo.siteCaps(s, ids, this.baseHour, this.baseHour + this.span);
    for (const id of ids ?? [...this.siteCaps.keys()]) this.siteCaps.delete(id);
    for (const c of got) this.siteCaps.set(c.siteId, c);
    const f = this.fleetRef;
    if (!f) return;
    for (const id of ids ?? f.siteIds) if (f.siteIndex(id) >= 0) this.applySiteCaps(id);
  }

  /** Puts a site's reserved capacity (as last read) into the timelines. */
  private applySiteCaps(id: string): void {
    const f = this.fleetRef;
    if (f && !id.startsWith('#')) this.writer.loadSiteCaps(f, this.baseHour, id, this.siteCaps.get(id));
  }

  /** An operator changed a site's reserved capacity: read it again (in an exclusive section). */
  private siteChanged(m: SiteMessage): void {
    if (typeof m.s !== 'string') return;
    this.pendingSites.add(m.s);
    this.queueSites();
  }

  private queueSites(): void {
    if (this.sitesQueued || this.closed) return;
    this.sitesQueued = true;
    void this.exclusive(async () => {
      this.sitesQueued = false;
      const ids = [...this.pendingSites];
      this.pendingSites.clear();
      try {
        await this.loadSiteCaps(null, ids);
      } catch (err) {
        this.log.warn({ err, sites: ids.length }, 'site capacity reload failed; retrying');
        for (const id of ids) this.pendingSites.add(id);
        setTimeout(() => this.queueSites(), 1000).unref();
      }
    }).catch(() => undefined);
  }

  /** Read-your-writes after a site's reserved capacity changed: reads it now on this process. */
  async refreshSite(id: string): Promise<void> {
    await this.exclusive(() => this.loadSiteCaps(null, [id]));
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
    let got: ClusterMeta[];
    if (ids.length <= LOAD_BATCH) {
      const rows = await this.repo.load(s, ids, this.baseHour, this.baseHour + this.span);
      got = rows.map(metaOf);
      this.adopt(got, ids);
      for (const c of rows) this.loadLedger(c);
    } else got = await this.loadInBatches(s, ids);
    const sites = [...new Set(got.flatMap((c) => (c.siteId ? [c.siteId] : [])))];
    if (sites.length > 0) await this.loadSiteCaps(s, sites);
    for (const id of ids) this.toReload.delete(id);
    this.stats.reloads += got.length;
  }

  /**
   * Reads the clusters `ids` (null: all, into a new fleet) and loads them: the catalogue entries,
   * then the rows LOAD_BATCH clusters at a time (the whole ledger at once, as JSON text and then
   * arrays, needs about 0.5 MB of heap per cluster: more than a 512 MB heap holds at ~900
   * clusters). Returns each cluster's entry as its rows were read: a change committed between
   * the two reads is taken (the fleet is rebuilt only then).
   */
  private async loadInBatches(s: SqlSession | null, ids: string[] | null): Promise<ClusterMeta[]> {
    const to = this.baseHour + this.span;
    const metas = (await this.repo.load(s, ids, this.baseHour, to, false)).map(metaOf);
    if (ids === null) this.rebuild(metas);
    else this.adopt(metas, ids);
    const present = metas.map((m) => m.id);
    const latest: ClusterMeta[] = [];
    for (let i = 0; i < present.length; i += LOAD_BATCH)
      for (const c of await this.repo.load(s, present.slice(i, i + LOAD_BATCH), this.baseHour, to)) {
        latest.push(metaOf(c));
        this.loadLedger(c);
      }
    this.adopt(latest, present);
    return latest;
  }

  /**
   * Takes fresh catalogue entries of the clusters `ids` (those missing from `fresh` were
   * deleted). The fleet is rebuilt only when a cluster is new or gone or its scheduling
   * parameters changed; names and owners are updated in place.
   */
  private adopt(fresh: ClusterMeta[], ids: string[]): void {
    const f = this.fleetRef;
    const same = (m: ClusterMeta) => f !== null && sameScheduling(f, this.byId.get(m.id), m);
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
        const gap = now - this.baseHour;
        await this.exclusive(async () => {
          this.rebuild(this.metas, now);
          // the new timelines copy the hours both bases cover; after a gap longer than the margin
          // (a process suspended, or its upkeep failing, for days) that leaves out ledger hours
          // materialised since: read every cluster again rather than leave them at capacity 0
          if (gap > SHIFT_MARGIN_HOURS) await this.reloadInside(this.metas.map((m) => m.id));
          else await this.loadSiteCaps(null, null);
        });
        this.log.info({ base: new Date(now * HOUR_MS).toISOString() }, 'timelines moved to a new time base');
      }
    } catch (err) {
      this.log.error({ err }, 'ledger upkeep failed');
    }
  }
}

/** Clusters whose ledger rows are read in one query (startup, a reload of many). */
const LOAD_BATCH = 50;
