import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { BookingEntity } from './booking.entity';
import { ClusterEntity } from './cluster.entity';
import { OrganizationEntity } from './organization.entity';

/** An operator's revision of a cluster's green supply over [starts_at, ends_at): supply per hour before and after, who, why. */
@Entity('green_revisions')
@Index('green_revisions_cluster_time_idx', ['clusterId', 'startsAt'])
@Check(
  'green_revisions_check',
  `"ends_at" > "starts_at" AND cardinality("supply_before_w") = cardinality("supply_after_w") AND "penalty_factor" >= 0`,
)
export class GreenRevisionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'cluster_id', type: 'uuid' })
  clusterId: string;

  @ManyToOne(() => ClusterEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'green_revisions_cluster_fk' })
  cluster?: ClusterEntity;

  /** the organization that revised (the cluster's operator or the bureau) */
  @Column({ name: 'by_org_id', type: 'uuid' })
  byOrgId: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'by_org_id', foreignKeyConstraintName: 'green_revisions_by_org_fk' })
  byOrg?: OrganizationEntity;

  @Column({ type: 'varchar', length: 500 })
  reason: string;

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt: Date;

  /** supply W in each hour of the range, before and after */
  @Column({ name: 'supply_before_w', type: 'bigint', array: true })
  supplyBeforeW: string[];

  @Column({ name: 'supply_after_w', type: 'bigint', array: true })
  supplyAfterW: string[];

  /**
   * a forecast import: its new green windows carry the supply change (so the independent supply
   * recomputation counts the windows, not this row); the row records the re-sharing it caused
   */
  @Column({ name: 'via_windows', type: 'boolean', default: false })
  viaWindows: boolean;

  /** the bureau's penalty factor the credits of this revision were computed with */
  @Column({ name: 'penalty_factor', type: 'double precision' })
  penaltyFactor: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** What a revision did to one booking: its green per hour and figures before and after, breach and credit after. */
@Entity('green_revision_bookings')
@Index('green_revision_bookings_booking_idx', ['bookingId'])
export class GreenRevisionBookingEntity {
  @PrimaryColumn({ name: 'revision_id', type: 'uuid' })
  revisionId: string;

  @ManyToOne(() => GreenRevisionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'revision_id', foreignKeyConstraintName: 'green_revision_bookings_revision_fk' })
  revision?: GreenRevisionEntity;

  @PrimaryColumn({ name: 'booking_id', type: 'uuid' })
  bookingId: string;

  @ManyToOne(() => BookingEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'green_revision_bookings_booking_fk' })
  booking?: BookingEntity;

  @Column({ name: 'green_w_before', type: 'bigint', array: true })
  greenWBefore: string[];

  @Column({ name: 'green_w_after', type: 'bigint', array: true })
  greenWAfter: string[];

  @Column({ name: 'green_share_before', type: 'double precision' })
  greenShareBefore: number;

  @Column({ name: 'green_share_after', type: 'double precision' })
  greenShareAfter: number;

  @Column({ name: 'price_total_before', type: 'double precision' })
  priceTotalBefore: number;

  @Column({ name: 'price_total_after', type: 'double precision' })
  priceTotalAfter: number;

  /** below its minGreenShare after the revision */
  @Column({ type: 'boolean' })
  breached: boolean;

  /** the booking's SLA credit after the revision */
  @Column({ name: 'credit_after', type: 'numeric', precision: 16, scale: 2 })
  creditAfter: string;
}

/** The credit ledger: money owed to a startup by a cluster's operator for a missed green SLA (CREDIT), or taken back (REVERSAL). */
@Entity('sla_credits')
@Index('sla_credits_org_created_idx', ['orgId', 'createdAt'])
@Index('sla_credits_operator_idx', ['operatorOrgId', 'createdAt'])
@Index('sla_credits_booking_idx', ['bookingId'])
@Check('sla_credits_check', `"kind" IN ('CREDIT', 'REVERSAL') AND "amount" > 0 AND "missing_mwh" >= 0`)
export class SlaCreditEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'booking_id', type: 'uuid' })
  bookingId: string;

  @ManyToOne(() => BookingEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'sla_credits_booking_fk' })
  booking?: BookingEntity;

  /** the startup credited */
  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'sla_credits_org_fk' })
  org?: OrganizationEntity;

  /** the operator paying (the booking's cluster's owner) */
  @Column({ name: 'operator_org_id', type: 'uuid' })
  operatorOrgId: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'operator_org_id', foreignKeyConstraintName: 'sla_credits_operator_fk' })
  operatorOrg?: OrganizationEntity;

  /** the revision that changed the credit; null for the reversal at cancellation */
  @Column({ name: 'revision_id', type: 'uuid', nullable: true })
  revisionId: string | null;

  @ManyToOne(() => GreenRevisionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'revision_id', foreignKeyConstraintName: 'sla_credits_revision_fk' })
  revision?: GreenRevisionEntity;

  @Column({ type: 'varchar', length: 16 })
  kind: string;

  @Column({ type: 'numeric', precision: 16, scale: 2 })
  amount: string;

  /** green MWh the booking misses to reach its minGreenShare after the change */
  @Column({ name: 'missing_mwh', type: 'double precision' })
  missingMwh: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** The bureau's SLA settings: one row (id 1). */
@Entity('sla_settings')
@Check('sla_settings_check', `"id" = 1 AND "penalty_factor" >= 0 AND "penalty_factor" <= 100`)
export class SlaSettingsEntity {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  /** credit = missing green MWh x the cluster's grid price per MWh x this factor */
  @Column({ name: 'penalty_factor', type: 'double precision' })
  penaltyFactor: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
