import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { OrganizationEntity } from './organization.entity';
import { SiteEntity } from './site.entity';

/** Compute in integer TFLOPS (1 PFLOPS = 1000 TFLOPS), the scheduler's unit. */
@Entity('clusters')
@Index('clusters_idempotency_key_uq', ['ownerOrgId', 'idempotencyKey'], {
  unique: true,
  where: '"idempotency_key" IS NOT NULL',
})
@Check(
  'clusters_numbers_check',
  `"capacity_tflops" >= 0 AND "kw_per_pflops" > 0 AND "pue" >= 1 AND "price_per_pflops_hour" >= 0 AND "grid_price_per_mwh" >= 0`,
)
export class ClusterEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('clusters_owner_idx')
  @Column({ name: 'owner_org_id', type: 'uuid' })
  ownerOrgId: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_org_id', foreignKeyConstraintName: 'clusters_owner_fk' })
  owner?: OrganizationEntity;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 100 })
  region: string;

  @Column({ type: 'varchar', length: 100 })
  accelerator: string;

  /** base capacity, used for ledger hours materialised later */
  @Column({ name: 'capacity_tflops', type: 'integer' })
  capacityTflops: number;

  @Column({ name: 'kw_per_pflops', type: 'double precision' })
  kwPerPflops: number;

  @Column({ type: 'double precision' })
  pue: number;

  @Column({ name: 'price_per_pflops_hour', type: 'double precision' })
  pricePerPflopsHour: number;

  @Column({ name: 'grid_price_per_mwh', type: 'double precision' })
  gridPricePerMwh: number;

  /** the site (grid connection) it belongs to; none: it is its own site, without a grid cap */
  @Index('clusters_site_idx')
  @Column({ name: 'site_id', type: 'uuid', nullable: true })
  siteId: string | null;

  @ManyToOne(() => SiteEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'site_id', foreignKeyConstraintName: 'clusters_site_fk' })
  site?: SiteEntity;

  /** time-of-use grid tariff (JSON, see clusters/tariff.ts); none: gridPricePerMwh in every hour */
  @Column({ name: 'grid_tariff', type: 'jsonb', nullable: true })
  gridTariff: object | null;

  /** the key the creating call was made with (trimmed), null without one */
  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;

  /** what the keyed request asked for, so that the key reused for another request is refused */
  @Column({ name: 'request_fingerprint', type: 'text', nullable: true })
  requestFingerprint: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
