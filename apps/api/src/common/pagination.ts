import { Field, ObjectType } from '@nestjs/graphql';
import type { SelectQueryBuilder } from 'typeorm';
import { InputException } from './errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage: boolean;
  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

export function pageSize(first: number | undefined | null): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new InputException('first', `first must be an integer in [1, ${MAX_PAGE_SIZE}], got ${first}`);
  }
  return first;
}

/** Opaque keyset cursor: base64url of the sort key (an ISO time and an id). */
export function encodeCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined | null): [string, string] | null {
  if (cursor === undefined || cursor === null) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw new InputException('after', 'after is not a cursor returned by this API');
}

/**
 * A cursor of a (time, id) keyset: its time exactly as this API writes one (an ISO instant with
 * milliseconds, years 0001-9999) and a uuid; anything else is BAD_USER_INPUT on `after`.
 */
export function decodeTimeCursor(cursor: string | undefined | null): { time: Date; id: string } | null {
  const cur = decodeCursor(cursor);
  if (!cur) return null;
  const [s, id] = cur;
  const time = new Date(s);
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s) ||
    s.startsWith('0000') ||
    Number.isNaN(time.getTime()) ||
    time.toISOString() !== s ||
    !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)
  )
    decodeCursor('!');
  return { time, id };
}

/**
 * Keyset page over (created_at, id), oldest first. created_at is compared at millisecond
 * precision on both sides because the cursor carries a JS date while PostgreSQL stores
 * microseconds.
 */
export async function pageByCreatedAt<T extends { id: string; createdAt: Date }, N>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  first: number | undefined | null,
  after: string | undefined | null,
  nodeOf: (row: T) => N,
): Promise<Connection<N>> {
  const n = pageSize(first);
  const cur = decodeTimeCursor(after);
  const created = `date_trunc('milliseconds', ${alias}.created_at)`;
  qb.orderBy(created, 'ASC')
    .addOrderBy(`${alias}.id`, 'ASC')
    .take(n + 1);
  if (cur)
    qb.andWhere(`(${created}, ${alias}.id) > (:cursorTime, :cursorId)`, { cursorTime: cur.time, cursorId: cur.id });
  return connectionOf(await qb.getMany(), n, (row) => encodeCursor(row.createdAt.toISOString(), row.id), nodeOf);
}

/**
 * Keyset page over an insertion sequence `seq` (a bigint identity column), first written first;
 * the cursor carries the seq. For tables whose rows of one transaction share created_at but
 * must be listed in the order they were written (the voucher ledger).
 */
export async function pageBySeq<T extends { seq: string }, N>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  first: number | undefined | null,
  after: string | undefined | null,
  nodeOf: (row: T) => N,
): Promise<Connection<N>> {
  const n = pageSize(first);
  const cur = decodeCursor(after);
  if (cur && (cur[0] !== 'seq' || !/^[1-9][0-9]{0,17}$/.test(cur[1]))) decodeCursor('!');
  qb.orderBy(`${alias}.seq`, 'ASC').take(n + 1);
  if (cur) qb.andWhere(`${alias}.seq > :cursorSeq`, { cursorSeq: cur[1] });
  return connectionOf(await qb.getMany(), n, (row) => encodeCursor('seq', String(row.seq)), nodeOf);
}

/** A Relay connection: edges of nodes with their cursors, and the page info. */
export interface Connection<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: PageInfo;
}

/**
 * The page of `n` from the `n + 1` rows a keyset query fetched (the one more tells whether a next
 * page exists), each row's node and cursor: the one way every connection is built.
 */
export function connectionOf<T, N>(
  rows: readonly T[],
  n: number,
  cursorOf: (row: T) => string,
  nodeOf: (row: T) => N,
): Connection<N> {
  const edges = rows.slice(0, n).map((row) => ({ cursor: cursorOf(row), node: nodeOf(row) }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > n, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
  };
}
