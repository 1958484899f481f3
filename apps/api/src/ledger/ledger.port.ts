import type { SqlSession } from '@pflex/persistence';
import type {
  BookingRow,
  ClusterLedger,
  GroupInsert,
  GroupLocks,
  LedgerDeltas,
  SiteCaps,
  UsageRow,
  VoucherDraws,
} from './ledger.repository';

/** A transaction's early COMMIT (sent right behind the statement before it). */
export interface TxControl {
  commit(): Promise<void>;
}

/**
 * The ledger as the booking path needs it: timeline loads, the group commit's lock and write, and
 * cancel. LedgerRepository implements it with SQL whose CHECK constraints are the guard;
 * apps/api/test/support/fake-ledger.ts implements it in memory with the same rules, so the
 * services above can be unit-tested without a database. Numbers and errors as the repository's:
 * a broken rule throws an error whose `code` is the SQLSTATE (pgErrorCode).
 */
export interface LedgerPort {
  /** Runs `fn` in one transaction, all or nothing. */
  transaction<T>(fn: (s: SqlSession, tx: TxControl) => Promise<T>): Promise<T>;
  /** Clusters (all, or the listed ones) with their ledger rows in [fromH, toH) (unless `withRows` is false) and version, one snapshot. */
  load(
    s: SqlSession | null,
    clusterIds: string[] | null,
    fromH: number,
    toH: number,
    withRows?: boolean,
  ): Promise<ClusterLedger[]>;
  /** Reserved grid capacity of the sites (all, or the listed ones) in [fromH, toH). */
  siteCaps(s: SqlSession | null, siteIds: string[] | null, fromH: number, toH: number): Promise<SiteCaps[]>;
  /** Versions of the clusters, access rules and vouchers with money left of the organizations (locked), bookings made with the (org, key) pairs. */
  lockGroup(
    s: SqlSession,
    clusters: string[],
    orgs: string[],
    keyOrgs: string[],
    keys: string[],
    fromH: number,
  ): Promise<GroupLocks>;
  /** Confirmed bookings of the organizations overlapping [fromH, toH). */
  usage(s: SqlSession, orgs: string[], fromH: number, toH: number): Promise<UsageRow[]>;
  /** Inserts a group's bookings, adds its ledger deltas, draws its vouchers, raises and returns the versions of the clusters written. */
  writeGroup(
    s: SqlSession,
    b: GroupInsert,
    d: LedgerDeltas,
    payloadClusters: (string | null)[],
    v: VoucherDraws,
    channel: string,
    payloads: string[],
    nowMs: number,
  ): Promise<Map<string, number>>;
  /** A booking, locked (null: none). */
  lockBooking(s: SqlSession, id: string): Promise<BookingRow | null>;
  /** Releases exactly what the booking took, refunds its voucher, raises the version; returns the cluster's new version. */
  writeCancel(
    s: SqlSession,
    b: BookingRow,
    hours: number[],
    nowMs: number,
    channel: string,
    payloads: string[],
    payloadClusters: (string | null)[],
  ): Promise<number>;
}
