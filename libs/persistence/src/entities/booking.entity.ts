import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import { ClusterEntity } from './cluster.entity';
import { OrganizationEntity } from './organization.entity';
import { VoucherEntity } from './voucher.entity';

export const BOOKING_STATUSES = ['CONFIRMED', 'CANCELLED'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/**
 * A committed placement. `tflops` and `green_w` (W per hour slot, length = hours) are exactly
 * what was added to cluster_hours, so cancelling subtracts exactly the same amounts.
 */
@Entity('bookings')
@Unique('bookings_org_idempotency_key', ['orgId', 'idempotencyKey'])
@Index('bookings_cluster_time_idx', ['clusterId', 'startsAt'])
@Index('bookings_org_created_idx', ['orgId', 'createdAt'])
@Index('bookings_org_start_idx', ['orgId', 'startsAt'])
@Index('bookings_org_end_idx', ['orgId', 'endsAt', 'startsAt'])
@Index('bookings_cluster_end_idx', ['clusterId', 'endsAt', 'startsAt'])
@Check(
  'bookings_check',
  `"hours" > 0 AND "tflops" > 0 AND "ends_at" > "starts_at" AND cardinality("green_w") = "hours" AND "status" IN ('CONFIRMED', 'CANCELLED')`,
)
@Check('bookings_sla_check', `cardinality("green_w_promised") = "hours" AND "sla_credit" >= 0`)
@Check('bookings_grid_price_check', `cardinality("grid_price_per_mwh") = "hours"`)
@Check(
  'bookings_voucher_check',
  `"voucher_amount" >= 0 AND "voucher_amount" <= "price_total" AND ("voucher_id" IS NOT NULL OR "voucher_amount" = 0)`,
)
export class BookingEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'bookings_org_fk' })
  org?: OrganizationEntity;

  @Column({ name: 'cluster_id', type: 'uuid' })
  clusterId: string;

  @ManyToOne(() => ClusterEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'bookings_cluster_fk' })
  cluster?: ClusterEntity;

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt: Date;

  @Column({ type: 'integer' })
  hours: number;

  @Column({ type: 'integer' })
  tflops: number;

  @Column({ name: 'draw_w', type: 'bigint' })
  drawW: string;

  @Column({ name: 'green_w', type: 'bigint', array: true })
  greenW: string[];

  @Column({ type: 'varchar', length: 16 })
  objective: string;

  @Column({ name: 'min_green_share', type: 'double precision', nullable: true })
  minGreenShare: number | null;

  @Column({ name: 'green_mwh', type: 'double precision' })
  greenMwh: number;

  @Column({ name: 'grid_mwh', type: 'double precision' })
  gridMwh: number;

  @Column({ name: 'green_share', type: 'double precision' })
  greenShare: number;

  /** green W per hour allocated when booked: the most a supply revision ever gives back (green_w <= it, hour by hour) */
  @Column({ name: 'green_w_promised', type: 'bigint', array: true })
  greenWPromised: string[];

  /** average price of the booking's green energy when booked, per MWh (null: it had none); prices green MWh after a revision */
  @Column({ name: 'green_price_per_mwh', type: 'double precision', nullable: true })
  greenPricePerMwh: number | null;

  /**
   * grid price per MWh of each hour when booked (flat, a time-of-use period's or a posted price): a
   * supply revision prices the grid MWh it changes at these, whatever the tariff is by then
   */
  @Column({ name: 'grid_price_per_mwh', type: 'double precision', array: true })
  gridPricePerMwh: number[];

  /** SLA credit owed to the startup now (minGreenShare missed after a supply revision); the sum of its sla_credits rows */
  @Column({ name: 'sla_credit', type: 'numeric', precision: 16, scale: 2, default: 0 })
  slaCredit: string;

  @Column({ name: 'price_compute', type: 'double precision' })
  priceCompute: number;

  @Column({ name: 'price_green_energy', type: 'double precision' })
  priceGreenEnergy: number;

  @Column({ name: 'price_grid_energy', type: 'double precision' })
  priceGridEnergy: number;

  @Column({ name: 'price_total', type: 'double precision' })
  priceTotal: number;

  /** the voucher drawn at booking (refunded on cancel), if any */
  @Column({ name: 'voucher_id', type: 'uuid', nullable: true })
  voucherId: string | null;

  @ManyToOne(() => VoucherEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'voucher_id', foreignKeyConstraintName: 'bookings_voucher_fk' })
  voucher?: VoucherEntity;

  /** money covered by the voucher; price after voucher = price_total - voucher_amount */
  @Column({ name: 'voucher_amount', type: 'numeric', precision: 16, scale: 2, default: 0 })
  voucherAmount: string;

  @Column({ type: 'varchar', length: 16 })
  status: BookingStatus;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200 })
  idempotencyKey: string;

  /** normalised request, so a reused key with a different request is refused */
  @Column({ name: 'request_fingerprint', type: 'text' })
  requestFingerprint: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;
}
