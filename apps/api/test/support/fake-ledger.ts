import type { SqlSession } from '@pflex/persistence';
import { PG_ERROR } from '@pflex/persistence';
import { randomUUID } from 'node:crypto';
import { centsOf } from '../../src/common/money';
import { HOUR_MS } from '../../src/common/time.utils';
import type { LedgerPort, TxControl } from '../../src/ledger/ledger.port';
import type {
  BookingRow,
  ClusterLedger,
  ClusterMeta,
  GroupInsert,
  GroupLocks,
  LedgerDeltas,
  SiteCaps,
  UsageRow,
  VoucherDraws,
  VoucherRow,
} from '../../src/ledger/ledger.repository';
import { VERSION_PLACEHOLDER } from '../../src/ledger/ledger.statements';
import { ledgerPayloads } from '../../src/ledger/ledger-wire';

/**
 * The ledger in memory, for the unit tier: the tables the booking path touches (clusters and their
 * versions, cluster_hours, site_hours, bookings, vouchers and their ledger, access rules) kept in
 * Maps, behind the same LedgerPort as LedgerRepository. It enforces what the database's
 * constraints enforce, with the same SQLSTATE codes, and refuses a whole statement when one row
 * breaks a rule (nothing of it applied):
 *
 *   cluster_hours  0 <= booked <= capacity, 0 <= green alloc <= green supply, grid W >= 0 (23514)
 *   site_hours     0 <= grid used <= reserved capacity, where one is set (23514)
 *   vouchers       0 <= spent <= cap (23514)
 *   bookings       unique (org, idempotency key) (23505); hours > 0, TFLOPS > 0, one green W per
 *                  hour; 0 <= voucher amount <= price total, and none without a voucher (23514)
 *   voucher_ledger amount > 0, spent after >= 0, one DRAW and one REFUND per booking
 *
 * Transactions run one at a time (as on PGlite) and roll back entirely when their function
 * throws; statements need the transaction's session. NOTIFY payloads get the version the
 * transaction raised and reach `listen`ers after COMMIT, in commit order. `elsewhere` commits as
 * another API process would (its own transaction, its own notification), and `before` runs a hook
 * ahead of a statement, e.g. to let another process commit between two statements of this one.
 */
export class FakeLedger implements LedgerPort {
  readonly clusters = new Map<string, FakeCluster>();
  /** cluster -> epoch hour -> row */
  readonly hours = new Map<string, Map<number, HourRow>>();
  /** site -> epoch hour -> row */
  readonly siteHours = new Map<string, Map<number, SiteHourRow>>();
  readonly bookings = new Map<string, BookingRow>();
  readonly vouchers = new Map<string, FakeVoucher>();
  readonly voucherLedger: VoucherLedgerRow[] = [];
  readonly rules = new Map<string, { maxPflopsHoursPer7Days: number | null; maxClusterShare: number | null }>();
  /** every NOTIFY payload committed, in commit order */
  readonly notifications: { channel: string; payload: string }[] = [];
  /** statements run, in order (name only), for tests that count round trips */
  readonly statements: string[] = [];
  /** transactions committed and rolled back */
  readonly stats = { commits: 0, rollbacks: 0 };

  private tail: Promise<unknown> = Promise.resolve();
  private current: Tx | null = null;
  private readonly listeners: ((channel: string, payload: string) => void)[] = [];
  private readonly hooks: { statement: StatementName; fn: () => unknown }[] = [];
  private readonly faults: { statement: StatementName; error: () => Error }[] = [];
  private createdSeq = 0;

  // ---------------------------------------------------------------------------------------
  // set-up (an operator's and the bureau's writes, committed at once)

  /** Registers a cluster with ledger rows over [fromH, toH) at its capacity; version 0. */
  addCluster(
    c: Partial<ClusterMeta> & { id: string; capacityTflops: number },
    fromH: number,
    toH: number,
  ): FakeCluster {
    const meta: FakeCluster = {
      ownerOrgId: 'operator',
      name: c.id,
      region: 'Zhuhai',
      kwPerPflops: 10,
      pue: 1.2,
      pricePerPflopsHour: 2,
      gridPricePerMwh: 600,
      siteId: null,
      gridTariff: null,
      postedGridPrices: [],
      createdAt: Date.UTC(2030, 0, 1) + this.createdSeq++,
      ...c,
      version: 0,
    };
    this.clusters.set(meta.id, meta);
    const rows = new Map<number, HourRow>();
    for (let h = fromH; h < toH; h++)
      rows.set(h, { capacity: meta.capacityTflops, booked: 0, supply: 0, alloc: 0, priceWeight: 0, grid: 0 });
    this.hours.set(meta.id, rows);
    return meta;
  }

  /** A green window: `w` W of supply at `pricePerMwh` over [fromH, toH) (supply <= 2e9 W per hour). */
  addGreen(cluster: string, fromH: number, toH: number, w: number, pricePerMwh: number): void {
    const rows = this.hours.get(cluster)!;
    for (let h = fromH; h < toH; h++) {
      const r = rows.get(h);
      if (!r) throw new Error(`no ledger row for ${cluster} at hour ${h}`);
      if (r.supply + w < r.alloc || r.supply + w > 2_000_000_000)
        throw checkViolation('cluster_hours_green_check', `${cluster} hour ${h}`);
    }
    for (let h = fromH; h < toH; h++) {
      const r = rows.get(h)!;
      r.supply += w;
      r.priceWeight += w * pricePerMwh;
    }
  }

  /** A site's reserved grid capacity (W) over [fromH, toH); null lifts it. */
  setSiteCap(site: string, fromH: number, toH: number, capW: number | null): void {
    const rows = this.siteHours.get(site) ?? new Map<number, SiteHourRow>();
    this.siteHours.set(site, rows);
    for (let h = fromH; h < toH; h++) {
      const r = rows.get(h) ?? { cap: null, used: 0 };
      if (capW !== null && r.used > capW) throw checkViolation('site_hours_grid_check', `${site} hour ${h}`);
      rows.set(h, { ...r, cap: capW });
    }
  }

  /** Issues a voucher (money in currency units, at most 2 decimals). */
  addVoucher(v: {
    orgId: string;
    percentCovered: number;
    cap: number;
    validFrom: number;
    validUntil: number;
    clusterIds?: string[] | null;
    minGreenShare?: number | null;
    id?: string;
  }): string {
    if (!(v.percentCovered > 0 && v.percentCovered <= 100 && v.cap > 0 && v.validUntil > v.validFrom))
      throw checkViolation('vouchers_amounts_check', 'new voucher');
    const id = v.id ?? randomUUID();
    this.vouchers.set(id, {
      id,
      orgId: v.orgId,
      percentCovered: v.percentCovered,
      capCents: centsOf(v.cap),
      spentCents: 0,
      validFrom: v.validFrom,
      validUntil: v.validUntil,
      clusterIds: v.clusterIds ?? null,
      minGreenShare: v.minGreenShare ?? null,
      createdAt: Date.UTC(2030, 0, 1) + this.createdSeq++,
    });
    return id;
  }

  setRules(orgId: string, r: { maxPflopsHoursPer7Days?: number | null; maxClusterShare?: number | null }): void {
    this.rules.set(orgId, {
      maxPflopsHoursPer7Days: r.maxPflopsHoursPer7Days ?? null,
      maxClusterShare: r.maxClusterShare ?? null,
    });
  }

  /** Payloads committed on `channel` reach `fn` (after COMMIT, in commit order): a process's LISTEN. */
  listen(fn: (channel: string, payload: string) => void): void {
    this.listeners.push(fn);
  }

  /** Runs `fn` once, just before the next `statement` (inside the transaction that runs it). */
  before(statement: StatementName, fn: () => unknown): void {
    this.hooks.push({ statement, fn });
  }

  /** The next `times` runs of `statement` fail with SQLSTATE `code` (a deadlock, a serialization failure ...). */
  failNext(statement: StatementName, code: string, times = 1): void {
    for (let i = 0; i < times; i++)
      this.faults.push({
        statement,
        error: () => Object.assign(new Error(`injected ${code} on ${statement}`), { code }),
      });
  }

  // ---------------------------------------------------------------------------------------
  // LedgerPort

  transaction<T>(fn: (s: SqlSession, tx: TxControl) => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      const tx: Tx = { session: sessionOf(), undo: [], notify: [], commitSent: false, done: false };
      this.current = tx;
      try {
        const out = await fn(tx.session, {
          commit: async () => {
            tx.commitSent = true;
          },
        });
        this.commit(tx);
        return out;
      } catch (e) {
        this.rollback(tx);
        throw e;
      } finally {
        tx.done = true;
        this.current = null;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  async load(
    s: SqlSession | null,
    clusterIds: string[] | null,
    fromH: number,
    toH: number,
    withRows = true,
  ): Promise<ClusterLedger[]> {
    if (!withRows) toH = fromH;
    await this.statement('load', s, true);
    const list = [...this.clusters.values()]
      .filter((c) => clusterIds === null || clusterIds.includes(c.id))
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return list.map((c) => {
      const rows = [...this.hours.get(c.id)!.entries()]
        .filter(([h]) => h >= fromH && h < toH)
        .sort((a, b) => a[0] - b[0]);
      const { version, ...meta } = c;
      return {
        ...meta,
        version,
        hours: Int32Array.from(rows, ([h]) => h),
        capacity: Int32Array.from(rows, ([, r]) => r.capacity),
        booked: Int32Array.from(rows, ([, r]) => r.booked),
        supply: Int32Array.from(rows, ([, r]) => r.supply),
        alloc: Int32Array.from(rows, ([, r]) => r.alloc),
        price: Float64Array.from(rows, ([, r]) => (r.supply > 0 ? r.priceWeight / r.supply : 0)),
        grid: Float64Array.from(rows, ([, r]) => r.grid),
      };
    });
  }

  async siteCaps(s: SqlSession | null, siteIds: string[] | null, fromH: number, toH: number): Promise<SiteCaps[]> {
    await this.statement('siteCaps', s, true);
    const out: SiteCaps[] = [];
    for (const [siteId, rows] of this.siteHours) {
      if (siteIds !== null && !siteIds.includes(siteId)) continue;
      const capped = [...rows.entries()]
        .filter(([h, r]) => r.cap !== null && h >= fromH && h < toH)
        .sort((a, b) => a[0] - b[0]);
      if (capped.length > 0) out.push({ siteId, hours: capped.map(([h]) => h), capW: capped.map(([, r]) => r.cap!) });
    }
    return out;
  }

  async lockGroup(
    s: SqlSession,
    clusters: string[],
    orgs: string[],
    keyOrgs: string[],
    keys: string[],
    fromH: number,
  ): Promise<GroupLocks> {
    await this.statement('lockGroup', s);
    const versions = new Map<string, number>();
    for (const id of clusters) {
      const c = this.clusters.get(id);
      if (c) versions.set(id, c.version);
    }
    const rules = new Map([...this.rules].filter(([org]) => orgs.includes(org)));
    const vouchers: VoucherRow[] = [...this.vouchers.values()]
      .filter((v) => orgs.includes(v.orgId) && v.spentCents < v.capCents && v.validUntil > fromH * HOUR_MS)
      // by id, as the database locks them: the picking order is chooseCover's
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((v) => ({
        id: v.id,
        org_id: v.orgId,
        percent_covered: v.percentCovered,
        created_at: new Date(v.createdAt).toISOString(),
        remaining: money(v.capCents - v.spentCents),
        spent: money(v.spentCents),
        valid_from: new Date(v.validFrom).toISOString(),
        valid_until: new Date(v.validUntil).toISOString(),
        cluster_ids: v.clusterIds,
        min_green_share: v.minGreenShare,
      }));
    const existing: BookingRow[] = [];
    for (const b of this.bookings.values()) {
      if (keyOrgs.some((org, i) => b.org_id === org && b.idempotency_key === keys[i]))
        existing.push(structuredClone(b));
    }
    return { versions, rules, vouchers, existing };
  }

  async usage(s: SqlSession, orgs: string[], fromH: number, toH: number): Promise<UsageRow[]> {
    await this.statement('usage', s);
    const out: UsageRow[] = [];
    for (const b of this.bookings.values()) {
      const h = Date.parse(b.starts_at) / HOUR_MS;
      if (orgs.includes(b.org_id) && b.status === 'CONFIRMED' && h < toH && h + b.hours > fromH)
        out.push({ org_id: b.org_id, cluster_id: b.cluster_id, h, hours: b.hours, tflops: b.tflops });
    }
    return out;
  }

  async writeGroup(
    s: SqlSession,
    b: GroupInsert,
    d: LedgerDeltas,
    payloadClusters: (string | null)[],
    v: VoucherDraws,
    channel: string,
    payloads: string[],
    nowMs: number,
  ): Promise<Map<string, number>> {
    await this.statement('writeGroup', s);
    return this.applyGroup(this.current!, b, d, payloadClusters, v, channel, payloads, nowMs);
  }

  async lockBooking(s: SqlSession, id: string): Promise<BookingRow | null> {
    await this.statement('lockBooking', s);
    const b = this.bookings.get(id);
    return b ? structuredClone(b) : null;
  }

  async writeCancel(
    s: SqlSession,
    b: BookingRow,
    hours: number[],
    nowMs: number,
    channel: string,
    payloads: string[],
    payloadClusters: (string | null)[],
  ): Promise<number> {
    await this.statement('writeCancel', s);
    const tx = this.current!;
    const rows = this.hours.get(b.cluster_id);
    const row = this.bookings.get(b.id);
    // what the statement would leave, checked before anything changes
    const led: [HourRow, HourRow][] = [];
    hours.forEach((h, i) => {
      const r = rows?.get(h);
      if (!r) return;
      const g = Number(b.green_w[i]);
      const next = { ...r, booked: r.booked - b.tflops, alloc: r.alloc - g, grid: r.grid - (Number(b.draw_w) - g) };
      checkHour(next, `${b.cluster_id} hour ${h}`);
      led.push([r, next]);
    });
    const site = this.clusters.get(b.cluster_id)?.siteId ?? null;
    const siteRows: [SiteHourRow, SiteHourRow][] = [];
    if (site) {
      hours.forEach((h, i) => {
        const r = this.siteHours.get(site)?.get(h);
        const gw = Number(b.draw_w) - Number(b.green_w[i]);
        if (!r || gw <= 0) return;
        const next = { ...r, used: r.used - gw };
        checkSiteHour(next, `${site} hour ${h}`);
        siteRows.push([r, next]);
      });
    }
    const cancels = row && row.status === 'CONFIRMED' ? 1 : 0;
    const amountCents = centsOf(Number(b.voucher_amount ?? 0));
    const voucher = b.voucher_id ? this.vouchers.get(b.voucher_id) : undefined;
    if (voucher && amountCents > 0 && voucher.spentCents - amountCents < 0)
      throw checkViolation('vouchers_amounts_check', `voucher ${voucher.id}`);
    if (voucher && amountCents > 0 && this.voucherLedger.some((l) => l.bookingId === b.id && l.kind === 'REFUND'))
      throw uniqueViolation('voucher_ledger_booking_kind', b.id);
    if (led.length !== b.hours || cancels !== 1)
      throw new Error(`cancel of ${b.id} incomplete: ${led.length}/${b.hours} ledger rows, ${cancels} booking`);
    for (const [r, next] of led) this.set(tx, r, next);
    for (const [r, next] of siteRows) this.set(tx, r, next);
    this.set(tx, row!, { status: 'CANCELLED', cancelled_at: new Date(nowMs).toISOString(), sla_credit: 0 });
    if (voucher && amountCents > 0) {
      this.set(tx, voucher, { spentCents: voucher.spentCents - amountCents });
      this.push(tx, this.voucherLedger, {
        voucherId: voucher.id,
        bookingId: b.id,
        kind: 'REFUND',
        amountCents,
        spentAfterCents: voucher.spentCents,
      });
    }
    const versions = this.raise(tx, [b.cluster_id]);
    this.queueNotify(tx, channel, payloads, payloadClusters, versions);
    return versions.get(b.cluster_id)!;
  }

  // ---------------------------------------------------------------------------------------
  // another API process

  /**
   * Commits a booking as another API process would: its own transaction (applied now, even
   * between two statements of the current one, as a commit that landed there), the same checks,
   * and its ledger change on the feed unless `notify` is false (a lost message).
   */
  elsewhere(
    bk: {
      orgId: string;
      cluster: string;
      startH: number;
      hours: number;
      tflops: number;
      drawW?: number;
      greenW?: number[];
      key?: string;
      fingerprint?: string;
      notify?: boolean;
    },
    channel = 'pflex_events',
  ): string {
    const id = randomUUID();
    const drawW = bk.drawW ?? 0;
    const green = bk.greenW ?? new Array<number>(bk.hours).fill(0);
    const hours = Array.from({ length: bk.hours }, (_, i) => bk.startH + i);
    const b: GroupInsert = {
      id: [id],
      org: [bk.orgId],
      cluster: [bk.cluster],
      startH: [bk.startH],
      hours: [bk.hours],
      tflops: [bk.tflops],
      drawW: [drawW],
      greenFlat: green,
      greenOff: [0],
      gridPriceFlat: new Array<number>(bk.hours).fill(this.clusters.get(bk.cluster)?.gridPricePerMwh ?? 0),
      objective: ['EARLIEST'],
      minGreenShare: [null],
      greenMwh: [green.reduce((a, g) => a + g, 0) / 1e6],
      gridMwh: [green.reduce((a, g) => a + drawW - g, 0) / 1e6],
      greenShare: [0],
      priceCompute: [0],
      priceGreen: [0],
      greenPrice: [null],
      priceGrid: [0],
      priceTotal: [0],
      voucherId: [null],
      voucherAmount: ['0.00'],
      key: [bk.key ?? `elsewhere-${id}`],
      fingerprint: [bk.fingerprint ?? 'elsewhere'],
    };
    const d: LedgerDeltas = {
      cluster: hours.map(() => bk.cluster),
      hour: hours,
      tflops: hours.map(() => bk.tflops),
      greenW: green,
      gridW: green.map((g) => drawW - g),
    };
    const encode = (m: Record<string, unknown>) => JSON.stringify({ o: 'elsewhere', ...m });
    const payloads =
      bk.notify === false
        ? []
        : ledgerPayloads(
            encode,
            bk.cluster,
            VERSION_PLACEHOLDER,
            { t: 'd', h: hours, tf: d.tflops, g: d.greenW, gw: d.gridW },
            true,
          );
    const tx: Tx = { session: sessionOf(), undo: [], notify: [], commitSent: true, done: false };
    this.applyGroup(
      tx,
      b,
      d,
      payloads.map(() => bk.cluster),
      { voucher: [], amount: [], ledgerVoucher: [], ledgerBooking: [], ledgerAmount: [], ledgerSpentAfter: [] },
      channel,
      payloads,
      Date.UTC(2030, 0, 1),
    );
    this.commit(tx);
    return id;
  }

  // ---------------------------------------------------------------------------------------
  // reading the tables back

  hour(cluster: string, h: number): HourRow {
    const r = this.hours.get(cluster)?.get(h);
    if (!r) throw new Error(`no ledger row for ${cluster} at hour ${h}`);
    return { ...r };
  }

  confirmed(orgId?: string): BookingRow[] {
    return [...this.bookings.values()].filter(
      (b) => b.status === 'CONFIRMED' && (orgId === undefined || b.org_id === orgId),
    );
  }

  /** A voucher's money spent and left, in currency units. */
  voucher(id: string): { spent: number; remaining: number } {
    const v = this.vouchers.get(id)!;
    return { spent: v.spentCents / 100, remaining: (v.capCents - v.spentCents) / 100 };
  }

  /**
   * What the constraints cannot see but the load tests' invariant checker checks: every ledger row
   * holds exactly its confirmed bookings (TFLOPS, green W, grid W), every site-hour the grid W of
   * its clusters, and every voucher's spent is its draws minus its refunds. Returns the breaches.
   */
  consistency(): string[] {
    const out: string[] = [];
    const want = new Map<string, Map<number, { tf: number; g: number; gw: number }>>();
    for (const b of this.confirmed()) {
      const h0 = Date.parse(b.starts_at) / HOUR_MS;
      const per = want.get(b.cluster_id) ?? new Map();
      want.set(b.cluster_id, per);
      for (let i = 0; i < b.hours; i++) {
        const cur = per.get(h0 + i) ?? { tf: 0, g: 0, gw: 0 };
        cur.tf += b.tflops;
        cur.g += Number(b.green_w[i]);
        cur.gw += Number(b.draw_w) - Number(b.green_w[i]);
        per.set(h0 + i, cur);
      }
    }
    const siteWant = new Map<string, number>();
    for (const [cluster, rows] of this.hours) {
      const site = this.clusters.get(cluster)?.siteId;
      for (const [h, r] of rows) {
        const w = want.get(cluster)?.get(h) ?? { tf: 0, g: 0, gw: 0 };
        if (r.booked !== w.tf || r.alloc !== w.g || r.grid !== w.gw)
          out.push(
            `${cluster} hour ${h}: booked ${r.booked} green ${r.alloc} grid ${r.grid}, bookings hold ${w.tf} ${w.g} ${w.gw}`,
          );
        if (site) siteWant.set(`${site}:${h}`, (siteWant.get(`${site}:${h}`) ?? 0) + r.grid);
      }
    }
    for (const [site, rows] of this.siteHours) {
      for (const [h, r] of rows)
        if (r.used !== (siteWant.get(`${site}:${h}`) ?? 0))
          out.push(
            `site ${site} hour ${h}: grid used ${r.used}, its clusters draw ${siteWant.get(`${site}:${h}`) ?? 0}`,
          );
    }
    for (const v of this.vouchers.values()) {
      const net = this.voucherLedger
        .filter((l) => l.voucherId === v.id)
        .reduce((a, l) => a + (l.kind === 'DRAW' ? l.amountCents : -l.amountCents), 0);
      if (net !== v.spentCents) out.push(`voucher ${v.id}: spent ${v.spentCents} cents, its ledger says ${net}`);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------

  private async statement(name: StatementName, s: SqlSession | null, outsideOk = false): Promise<void> {
    this.statements.push(name);
    if (s === null) {
      if (!outsideOk) throw new Error(`${name} needs the transaction's session`);
    } else if (!this.current || this.current.session !== s || this.current.done) {
      throw new Error(`${name} ran on a session that is not the open transaction's`);
    } else if (this.current.commitSent) {
      throw new Error(`${name} ran after COMMIT was sent`);
    }
    const i = this.hooks.findIndex((h) => h.statement === name);
    if (i >= 0) await this.hooks.splice(i, 1)[0].fn();
    const f = this.faults.findIndex((x) => x.statement === name);
    if (f >= 0) throw this.faults.splice(f, 1)[0].error();
  }

  /** The group write, all or nothing: every row checked first, then applied. */
  private applyGroup(
    tx: Tx,
    b: GroupInsert,
    d: LedgerDeltas,
    payloadClusters: (string | null)[],
    v: VoucherDraws,
    channel: string,
    payloads: string[],
    nowMs: number,
  ): Map<string, number> {
    // bookings
    const keys = new Set<string>();
    for (const x of this.bookings.values()) keys.add(`${x.org_id}\u0000${x.idempotency_key}`);
    const rows: BookingRow[] = [];
    for (let i = 0; i < b.id.length; i++) {
      const k = `${b.org[i]}\u0000${b.key[i]}`;
      if (keys.has(k) || this.bookings.has(b.id[i])) throw uniqueViolation('bookings_org_idempotency_key', b.key[i]);
      keys.add(k);
      const green = b.greenFlat.slice(b.greenOff[i], b.greenOff[i] + b.hours[i]);
      const voucherCents = centsOf(Number(b.voucherAmount[i]));
      if (!(b.hours[i] > 0 && b.tflops[i] > 0 && green.length === b.hours[i]))
        throw checkViolation('bookings_check', b.id[i]);
      if (b.gridPriceFlat.slice(b.greenOff[i], b.greenOff[i] + b.hours[i]).length !== b.hours[i])
        throw checkViolation('bookings_grid_price_check', b.id[i]);
      if (
        voucherCents < 0 ||
        voucherCents > centsOf(b.priceTotal[i]) ||
        (b.voucherId[i] === null && voucherCents !== 0)
      )
        throw checkViolation('bookings_voucher_check', b.id[i]);
      if (!this.clusters.has(b.cluster[i]))
        throw Object.assign(
          new Error(`insert or update on table "bookings" violates foreign key constraint (cluster ${b.cluster[i]})`),
          { code: '23503' },
        );
      rows.push({
        id: b.id[i],
        org_id: b.org[i],
        cluster_id: b.cluster[i],
        starts_at: new Date(b.startH[i] * HOUR_MS).toISOString(),
        ends_at: new Date((b.startH[i] + b.hours[i]) * HOUR_MS).toISOString(),
        hours: b.hours[i],
        tflops: b.tflops[i],
        draw_w: b.drawW[i],
        green_w: green,
        green_w_promised: green,
        sla_credit: 0,
        objective: b.objective[i],
        min_green_share: b.minGreenShare[i],
        green_mwh: b.greenMwh[i],
        grid_mwh: b.gridMwh[i],
        green_share: b.greenShare[i],
        price_compute: b.priceCompute[i],
        price_green_energy: b.priceGreen[i],
        price_grid_energy: b.priceGrid[i],
        price_total: b.priceTotal[i],
        voucher_id: b.voucherId[i],
        voucher_amount: b.voucherAmount[i],
        status: 'CONFIRMED',
        idempotency_key: b.key[i],
        request_fingerprint: b.fingerprint[i],
        created_at: new Date(nowMs).toISOString(),
        cancelled_at: null,
      });
    }
    // ledger rows (a (cluster, hour) twice in one statement is updated once, like UPDATE ... FROM)
    const led: [HourRow, HourRow][] = [];
    const seen = new Set<string>();
    const siteSums = new Map<string, number>();
    for (let i = 0; i < d.hour.length; i++) {
      const r = this.hours.get(d.cluster[i])?.get(d.hour[i]);
      const k = `${d.cluster[i]}:${d.hour[i]}`;
      if (!r || seen.has(k)) continue;
      seen.add(k);
      const next = { ...r, booked: r.booked + d.tflops[i], alloc: r.alloc + d.greenW[i], grid: r.grid + d.gridW[i] };
      checkHour(next, `${d.cluster[i]} hour ${d.hour[i]}`);
      led.push([r, next]);
      const site = this.clusters.get(d.cluster[i])?.siteId;
      if (site)
        siteSums.set(`${site}\u0000${d.hour[i]}`, (siteSums.get(`${site}\u0000${d.hour[i]}`) ?? 0) + d.gridW[i]);
    }
    if (led.length !== d.hour.length)
      throw new Error(
        `group write incomplete: ${rows.length}/${b.id.length} bookings, ${led.length}/${d.hour.length} ledger rows`,
      );
    // site-hours: the positive sums added (a row created where none was)
    const siteRows: { site: string; h: number; row: SiteHourRow | undefined; next: SiteHourRow }[] = [];
    for (const [k, gw] of siteSums) {
      if (gw <= 0) continue;
      const [site, hs] = k.split('\u0000');
      const h = Number(hs);
      const row = this.siteHours.get(site)?.get(h);
      const next = { cap: row?.cap ?? null, used: (row?.used ?? 0) + gw };
      checkSiteHour(next, `${site} hour ${h}`);
      siteRows.push({ site, h, row, next });
    }
    // voucher draws and their ledger rows
    const spent = new Map<string, number>();
    for (let i = 0; i < v.voucher.length; i++) {
      const x = this.vouchers.get(v.voucher[i]);
      if (!x) continue;
      const after = (spent.get(x.id) ?? x.spentCents) + centsOf(Number(v.amount[i]));
      if (after < 0 || after > x.capCents) throw checkViolation('vouchers_amounts_check', `voucher ${x.id}`);
      spent.set(x.id, after);
    }
    for (let i = 0; i < v.ledgerVoucher.length; i++) {
      if (!(centsOf(Number(v.ledgerAmount[i])) > 0 && centsOf(Number(v.ledgerSpentAfter[i])) >= 0))
        throw checkViolation('voucher_ledger_check', v.ledgerBooking[i]);
      const dup =
        this.voucherLedger.some((l) => l.bookingId === v.ledgerBooking[i] && l.kind === 'DRAW') ||
        v.ledgerBooking.indexOf(v.ledgerBooking[i]) !== i;
      if (dup) throw uniqueViolation('voucher_ledger_booking_kind', v.ledgerBooking[i]);
    }
    // every check passed: apply
    for (const r of rows) {
      this.bookings.set(r.id, r);
      tx.undo.push(() => this.bookings.delete(r.id));
    }
    for (const [r, next] of led) this.set(tx, r, next);
    for (const s of siteRows) {
      if (s.row) this.set(tx, s.row, s.next);
      else {
        const m = this.siteHours.get(s.site) ?? new Map<number, SiteHourRow>();
        this.siteHours.set(s.site, m);
        m.set(s.h, s.next);
        tx.undo.push(() => m.delete(s.h));
      }
    }
    for (const [id, after] of spent) this.set(tx, this.vouchers.get(id)!, { spentCents: after });
    for (let i = 0; i < v.ledgerVoucher.length; i++) {
      this.push(tx, this.voucherLedger, {
        voucherId: v.ledgerVoucher[i],
        bookingId: v.ledgerBooking[i],
        kind: 'DRAW',
        amountCents: centsOf(Number(v.ledgerAmount[i])),
        spentAfterCents: centsOf(Number(v.ledgerSpentAfter[i])),
      });
    }
    const versions = this.raise(tx, [...new Set(led.map((_, i) => d.cluster[i]))]);
    this.queueNotify(tx, channel, payloads, payloadClusters, versions);
    return versions;
  }

  /** Raises the clusters' versions by one; returns the new ones. */
  private raise(tx: Tx, clusters: string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const id of clusters) {
      const c = this.clusters.get(id)!;
      this.set(tx, c, { version: c.version + 1 });
      out.set(id, c.version);
    }
    return out;
  }

  private queueNotify(
    tx: Tx,
    channel: string,
    payloads: string[],
    payloadClusters: (string | null)[],
    versions: Map<string, number>,
  ): void {
    payloads.forEach((p, i) => {
      const c = payloadClusters[i];
      const v = c === null ? undefined : versions.get(c);
      tx.notify.push({ channel, payload: v === undefined ? p : p.replace(`"v":${VERSION_PLACEHOLDER},`, `"v":${v},`) });
    });
  }

  private set<T extends object>(tx: Tx, row: T, next: Partial<T>): void {
    const before = { ...row };
    Object.assign(row, next);
    tx.undo.push(() => Object.assign(row, before));
  }

  private push<T>(tx: Tx, list: T[], x: T): void {
    list.push(x);
    tx.undo.push(() => list.splice(list.indexOf(x), 1));
  }

  private commit(tx: Tx): void {
    this.stats.commits++;
    for (const n of tx.notify) this.notifications.push(n);
    // delivered after COMMIT, never inside the committing call
    const sent = tx.notify;
    if (sent.length > 0) {
      queueMicrotask(() => {
        for (const n of sent) for (const fn of this.listeners) fn(n.channel, n.payload);
      });
    }
  }

  private rollback(tx: Tx): void {
    this.stats.rollbacks++;
    while (tx.undo.length > 0) tx.undo.pop()!();
  }
}

export type StatementName = 'load' | 'siteCaps' | 'lockGroup' | 'usage' | 'writeGroup' | 'lockBooking' | 'writeCancel';

export interface FakeCluster extends ClusterMeta {
  version: number;
}

export interface HourRow {
  capacity: number;
  booked: number;
  supply: number;
  alloc: number;
  /** sum of supply W x price per MWh */
  priceWeight: number;
  grid: number;
}

export interface SiteHourRow {
  cap: number | null;
  used: number;
}

export interface FakeVoucher {
  id: string;
  orgId: string;
  percentCovered: number;
  capCents: number;
  spentCents: number;
  validFrom: number;
  validUntil: number;
  clusterIds: string[] | null;
  minGreenShare: number | null;
  createdAt: number;
}

export interface VoucherLedgerRow {
  voucherId: string;
  bookingId: string;
  kind: 'DRAW' | 'REFUND';
  amountCents: number;
  spentAfterCents: number;
}

interface Tx {
  session: SqlSession;
  undo: (() => unknown)[];
  notify: { channel: string; payload: string }[];
  commitSent: boolean;
  done: boolean;
}

/** A session token: the fake runs no SQL, so a statement sent as text is a test bug. */
function sessionOf(): SqlSession {
  const refuse = async (): Promise<never> => {
    throw new Error('the fake ledger runs no SQL: call the LedgerPort methods');
  };
  return { query: refuse, exec: refuse };
}

function checkHour(r: HourRow, where: string): void {
  if (r.booked < 0 || r.booked > r.capacity) throw checkViolation('cluster_hours_capacity_check', where);
  if (r.alloc < 0 || r.alloc > r.supply) throw checkViolation('cluster_hours_green_check', where);
  if (r.grid < 0) throw checkViolation('cluster_hours_grid_check', where);
}

function checkSiteHour(r: SiteHourRow, where: string): void {
  if (r.used < 0 || (r.cap !== null && r.used > r.cap)) throw checkViolation('site_hours_grid_check', where);
}

function checkViolation(constraint: string, where: string): Error {
  return Object.assign(new Error(`new row violates check constraint "${constraint}" (${where})`), {
    code: PG_ERROR.CHECK_VIOLATION,
    constraint,
  });
}

function uniqueViolation(constraint: string, what: string): Error {
  return Object.assign(new Error(`duplicate key value violates unique constraint "${constraint}" (${what})`), {
    code: PG_ERROR.UNIQUE_VIOLATION,
    constraint,
  });
}

/** numeric(16,2) as PostgreSQL prints it */
function money(cents: number): string {
  return (cents / 100).toFixed(2);
}
