import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { OrganizationEntity } from './organization.entity';

/**
 * A compute voucher issued by the bureau to a startup: `percent_covered` of a booking's price,
 * money in the price currency with 2 decimals. Money left = cap - spent; the CHECK keeps
 * spent <= cap whatever the concurrency.
 */
@Entity('vouchers')
@Index('vouchers_org_until_idx', ['orgId', 'validUntil'])
@Index('vouchers_idempotency_key_uq', ['idempotencyKey'], { unique: true, where: '"idempotency_key" IS NOT NULL' })
@Check(
  'vouchers_amounts_check',
  `"percent_covered" > 0 AND "percent_covered" <= 100 AND "cap" > 0 AND "spent" >= 0 AND "spent" <= "cap"`,
)
@Check(
  'vouchers_scope_check',
  `"valid_until" > "valid_from" AND ("min_green_share" IS NULL OR ("min_green_share" >= 0 AND "min_green_share" <= 1)) AND ("cluster_ids" IS NULL OR cardinality("cluster_ids") > 0)`,
)
export class VoucherEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** the startup holding the voucher */
  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'vouchers_org_fk' })
  org?: OrganizationEntity;

  /** share of a booking's price covered, in (0, 100] */
  @Column({ name: 'percent_covered', type: 'double precision' })
  percentCovered: number;

  /** money the voucher can cover in total (numeric, read as a string) */
  @Column({ type: 'numeric', precision: 16, scale: 2 })
  cap: string;

  /** money drawn so far net of refunds */
  @Column({ type: 'numeric', precision: 16, scale: 2, default: 0 })
  spent: string;

  /** a booking's run must lie inside [valid_from, valid_until] */
  @Column({ name: 'valid_from', type: 'timestamptz' })
  validFrom: Date;

  @Column({ name: 'valid_until', type: 'timestamptz' })
  validUntil: Date;

  /** null = any cluster */
  @Column({ name: 'cluster_ids', type: 'uuid', array: true, nullable: true })
  clusterIds: string[] | null;

  /** null = any booking; else the booking's achieved green share must be >= this */
  @Column({ name: 'min_green_share', type: 'double precision', nullable: true })
  minGreenShare: number | null;

  /** the key issueVoucher was called with (trimmed), null without one: a key names one voucher */
  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;

  /** what the keyed request asked for, so that the key reused for another request is refused */
  @Column({ name: 'request_fingerprint', type: 'text', nullable: true })
  requestFingerprint: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
