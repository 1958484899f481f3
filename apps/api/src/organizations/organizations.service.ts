import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ApiKeyEntity, OrganizationEntity, OrgRole } from '@pflex/persistence';
import { DataSource, EntityManager, In, IsNull, Not } from 'typeorm';
import { isUuid } from '../common/ids';
import { pageByCreatedAt } from '../common/pagination';
import { APP_CONFIG, PINO } from '../config';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import { ChangeFeed, FeedMessage } from '../events/change-feed.service';
import { FeedCache } from '../events/feed-cache';
import { DEMO_KEYS, isDemoKey } from '../seed/demo-keys';
import { displayPrefix, generateApiKey, hashApiKey, sameHash } from '../security/api-keys';
import {
  ApiKeyModel,
  CreatedOrganizationModel,
  IssuedApiKeyModel,
  OrganizationConnection,
  OrganizationModel,
  OrganizationRole,
} from './dtos/organization.model';
import { OrganizationErrorCode, OrganizationException } from './organizations.exception';
import type { Principal } from '../security/principal';

export const ENV_BUREAU_NAME = 'City AI Bureau';

/** A cached key is re-read from the database after this long at the latest. */
export const KEY_CACHE_TTL_MS = 60_000;

interface KeyRevokedMessage extends FeedMessage {
  k: 'key';
  h: string;
}

/** Most keys `apiKeys` lists: all keys in force come first, whatever their number. */
export const MAX_API_KEYS_LISTED = 1000;

@Injectable()
export class OrganizationsService implements OnApplicationBootstrap {
  private bureauKeyHash?: string;
  private envBureau?: Principal;
  /** key hash -> principal (known keys only); revocations arrive on the change feed */
  private readonly keys: FeedCache<Principal | null>;

  constructor(
    private readonly ds: DataSource,
    private readonly feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PINO) private readonly log: Logger,
  ) {
    this.keys = new FeedCache(feed, KEY_CACHE_TTL_MS);
    feed.on<KeyRevokedMessage>('key', (m) => this.forget(m.h));
  }

  /** Drops a revoked key from this process's cache and tells the listeners (each may hear a key twice). */
  private forget(keyHash: string): void {
    this.keys.drop(keyHash);
    for (const fn of this.revocationListeners) fn(keyHash);
  }

  private readonly revocationListeners: ((keyHash: string) => void)[] = [];

  /** Tells `fn` the hash of every key revoked from now on, on any process (as the change feed brings it). */
  onKeyRevoked(fn: (keyHash: string) => void): void {
    this.revocationListeners.push(fn);
  }

  /** With BUREAU_API_KEY set, makes sure a bureau organization exists for it to act as. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.production) await this.warnOfDemoKeys();
    if (!this.config.bureauApiKey) return;
    this.bureauKeyHash = hashApiKey(this.config.bureauApiKey);
    const org = await this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('pflex:env-bureau', 0))`);
      const found = await m.findOne(OrganizationEntity, {
        where: { role: 'BUREAU', name: ENV_BUREAU_NAME },
        order: { createdAt: 'ASC' },
      });
      return found ?? (await m.save(m.create(OrganizationEntity, { name: ENV_BUREAU_NAME, role: 'BUREAU' })));
    });
    this.envBureau = { orgId: org.id, name: org.name, role: 'BUREAU' };
  }

  /** Production on a database seeded in development: its demo keys are refused, and said so at start. */
  private async warnOfDemoKeys(): Promise<void> {
    const hashes = Object.values(DEMO_KEYS).map(hashApiKey);
    const n = await this.ds.getRepository(ApiKeyEntity).countBy({ keyHash: In(hashes), revokedAt: IsNull() });
    if (n > 0)
      this.log.warn(
        { demoKeys: n },
        'this database holds the public demo API keys (it was seeded in development): production refuses them; revoke them with revokeApiKey',
      );
  }

  /**
   * Hash lookup, then a constant-time comparison of the digests. Known keys are cached in this
   * process while the change feed is live: a revocation is announced on the feed in the revoking
   * transaction and drops the key from every process's cache as it arrives (the revoking process
   * drops it as its transaction commits); a process whose
   * listener is disconnected reads the database on every request until it has reconnected (and
   * cleared its cache), and no entry is older than KEY_CACHE_TTL_MS.
   */
  async authenticate(key: string): Promise<Principal | null> {
    if (key.length > 200) return null;
    // the demo keys are public: a database seeded in development and then run in production
    // must not let them in
    if (this.config.production && isDemoKey(key)) return null;
    const hash = hashApiKey(key);
    if (this.bureauKeyHash && this.envBureau && sameHash(hash, this.bureauKeyHash)) return this.envBureau;
    return this.keys.get(
      hash,
      () => this.principalOf(hash),
      (p) => p !== null,
    );
  }

  private async principalOf(hash: string): Promise<Principal | null> {
    const rows: { key_hash: string; org_id: string; name: string; role: OrgRole }[] = await this.ds.query(
      `SELECT k.key_hash, o.id AS org_id, o.name, o.role FROM api_keys k JOIN organizations o ON o.id = k.org_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    const row = rows[0];
    if (!row || !sameHash(row.key_hash, hash)) return null;
    return { orgId: row.org_id, name: row.name, role: row.role };
  }

  async me(p: Principal): Promise<OrganizationModel> {
    return this.getOrganization(p.orgId);
  }

  /** The organization `id`; NOT_FOUND naming `field` (the argument that held the id). */
  async getOrganization(id: string, field = 'id'): Promise<OrganizationModel> {
    const org = isUuid(id) ? await this.ds.getRepository(OrganizationEntity).findOneBy({ id }) : null;
    if (!org)
      throw new OrganizationException(
        OrganizationErrorCode.ORGANIZATION_NOT_FOUND,
        `organization ${id} not found`,
        field,
      );
    return toOrganizationModel(org);
  }

  async listOrganizations(first?: number | null, after?: string | null): Promise<OrganizationConnection> {
    return pageByCreatedAt(
      this.ds.getRepository(OrganizationEntity).createQueryBuilder('o'),
      'o',
      first,
      after,
      toOrganizationModel,
    );
  }

  async createOrganization(name: string, role: OrgRole): Promise<CreatedOrganizationModel> {
    return this.ds.transaction(async (m) => {
      const org = await m.save(m.create(OrganizationEntity, { name: name.trim(), role }));
      const firstKey = await this.insertKey(m, org.id, generateApiKey());
      return { organization: toOrganizationModel(org), firstKey };
    });
  }

  async issueApiKey(organizationId: string): Promise<IssuedApiKeyModel> {
    await this.getOrganization(organizationId, 'organizationId');
    return this.ds.transaction((m) => this.insertKey(m, organizationId, generateApiKey()));
  }

  /** Revoking is idempotent; the key stops working on every process as the feed delivers the revocation. */
  async revokeApiKey(id: string): Promise<ApiKeyModel> {
    const { model, keyHash } = await this.ds.transaction(async (m) => {
      // locked: of concurrent revocations one writes revokedAt, the others wait and answer it
      const key = isUuid(id)
        ? await m.findOne(ApiKeyEntity, { where: { id }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!key)
        throw new OrganizationException(OrganizationErrorCode.API_KEY_NOT_FOUND, `API key ${id} not found`, 'id');
      if (!key.revokedAt) {
        await this.keepOneBureauKey(m, key);
        await m.update(ApiKeyEntity, { id }, { revokedAt: () => 'now()' });
        await m.query(`SELECT pg_notify($1, $2)`, [this.feed.channel, this.feed.encode({ k: 'key', h: key.keyHash })]);
      }
      return { model: toApiKeyModel((await m.findOneBy(ApiKeyEntity, { id }))!), keyHash: key.keyHash };
    });
    // this process stops taking the key as the mutation answers, not when its own notification comes back
    this.forget(keyHash);
    return model;
  }

  /**
   * Refuses to revoke the last bureau key in force when no BUREAU_API_KEY is configured: nobody
   * could issue keys or administer anything afterwards. The bureau keys in force are locked, so
   * two revocations at once cannot each leave the other's key as the last one.
   */
  private async keepOneBureauKey(m: EntityManager, key: ApiKeyEntity): Promise<void> {
    if (this.config.bureauApiKey) return;
    const live: { id: string }[] = await m.query(
      `SELECT k.id FROM api_keys k JOIN organizations o ON o.id = k.org_id
       WHERE o.role = 'BUREAU' AND k.revoked_at IS NULL ORDER BY k.id FOR UPDATE OF k`,
    );
    if (live.some((k) => k.id === key.id) && live.length === 1)
      throw new OrganizationException(
        OrganizationErrorCode.LAST_BUREAU_KEY,
        'this is the last bureau API key in force: revoking it would leave nobody able to administer pflex; issue another bureau key first (or set BUREAU_API_KEY)',
        'id',
      );
  }

  /**
   * Keys of one organization: every key still in force, oldest first (so each can be found and
   * revoked), then the most recently revoked, up to MAX_API_KEYS_LISTED in all.
   */
  async listApiKeys(organizationId: string): Promise<ApiKeyModel[]> {
    await this.getOrganization(organizationId, 'organizationId');
    const repo = this.ds.getRepository(ApiKeyEntity);
    const active = await repo.find({
      where: { orgId: organizationId, revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    const revoked =
      active.length < MAX_API_KEYS_LISTED
        ? await repo.find({
            where: { orgId: organizationId, revokedAt: Not(IsNull()) },
            order: { revokedAt: 'DESC', id: 'DESC' },
            take: MAX_API_KEYS_LISTED - active.length,
          })
        : [];
    return [...active, ...revoked].map(toApiKeyModel);
  }

  /** Stores the hash of `key` (used by the demo seed with its fixed keys too). */
  async insertKey(m: EntityManager, orgId: string, key: string): Promise<IssuedApiKeyModel> {
    const row = await m.save(
      m.create(ApiKeyEntity, { orgId, keyHash: hashApiKey(key), prefix: displayPrefix(key), revokedAt: null }),
    );
    return { apiKey: toApiKeyModel(row), key };
  }
}

export function toOrganizationModel(o: OrganizationEntity): OrganizationModel {
  return { id: o.id, name: o.name, role: o.role as OrganizationRole, createdAt: o.createdAt };
}

function toApiKeyModel(k: ApiKeyEntity): ApiKeyModel {
  return { id: k.id, organizationId: k.orgId, prefix: k.prefix, createdAt: k.createdAt, revokedAt: k.revokedAt };
}
