import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Generated,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import { BookingEntity } from './booking.entity';
import { OrganizationEntity } from './organization.entity';

/**
 * A clearing round: requests submitted while it is OPEN are placed together by the batch packer
 * after it closes (CLOSED: no more requests, being cleared; then CLEARED, with the outcome and a
 * first-come baseline). `region` '' means the whole fleet. At most one OPEN round per region
 * (partial unique index), so the next one opens while the last one clears; the row is locked by
 * the one process that clears it, in the same transaction that writes its bookings.
 */
@Entity('rounds')
@Index('rounds_one_open_idx', ['region'], { unique: true, where: `"status" = 'OPEN'` })
@Index('rounds_status_closes_idx', ['status', 'closesAt'])
@Check(
  'rounds_check',
  `"closes_at" > "opens_at" AND "status" IN ('OPEN', 'CLOSED', 'CLEARED') AND ("status" = 'CLEARED') = ("cleared_at" IS NOT NULL)`,
)
export class RoundEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** '' = the whole fleet */
  @Column({ type: 'varchar', length: 100 })
  region: string;

  @Column({ type: 'varchar', length: 16, default: 'OPEN' })
  status: string;

  @Column({ name: 'opens_at', type: 'timestamptz' })
  opensAt: Date;

  @Column({ name: 'closes_at', type: 'timestamptz' })
  closesAt: Date;

  @Column({ name: 'cleared_at', type: 'timestamptz', nullable: true })
  clearedAt: Date | null;

  /** the clearing's figures and its first-come baseline (see RoundOutcome) */
  @Column({ type: 'jsonb', nullable: true })
  outcome: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** A startup's request held in a round: PENDING until the round clears (CONFIRMED with its booking, or REFUSED with the reason), or WITHDRAWN. */
@Entity('round_requests')
@Unique('round_requests_org_idempotency_key', ['orgId', 'idempotencyKey'])
@Index('round_requests_round_idx', ['roundId', 'seq'])
@Index('round_requests_org_idx', ['orgId', 'seq'])
@Check(
  'round_requests_check',
  `"hours" > 0 AND "pflops" > 0 AND "deadline" > "earliest_start" AND "status" IN ('PENDING', 'WITHDRAWN', 'CONFIRMED', 'REFUSED') AND ("status" = 'CONFIRMED') = ("booking_id" IS NOT NULL)`,
)
export class RoundRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** submission order (the first-come baseline's order, and the tie-break of the packing) */
  @Column({ type: 'bigint' })
  @Generated('increment')
  seq: string;

  @Column({ name: 'round_id', type: 'uuid' })
  roundId: string;

  @ManyToOne(() => RoundEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'round_id', foreignKeyConstraintName: 'round_requests_round_fk' })
  round?: RoundEntity;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'round_requests_org_fk' })
  org?: OrganizationEntity;

  @Column({ type: 'varchar', length: 16, default: 'PENDING' })
  status: string;

  @Column({ type: 'double precision' })
  pflops: number;

  @Column({ type: 'integer' })
  hours: number;

  @Column({ name: 'earliest_start', type: 'timestamptz' })
  earliestStart: Date;

  @Column({ type: 'timestamptz' })
  deadline: Date;

  /** null = any cluster of the round's region */
  @Column({ name: 'cluster_ids', type: 'uuid', array: true, nullable: true })
  clusterIds: string[] | null;

  @Column({ name: 'min_green_share', type: 'double precision', nullable: true })
  minGreenShare: number | null;

  @Column({ type: 'varchar', length: 16 })
  objective: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200 })
  idempotencyKey: string;

  @Column({ name: 'request_fingerprint', type: 'text' })
  requestFingerprint: string;

  @Column({ name: 'booking_id', type: 'uuid', nullable: true })
  bookingId: string | null;

  @ManyToOne(() => BookingEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'round_requests_booking_fk' })
  booking?: BookingEntity;

  /** REFUSED: the refusal reason code and message, as bookCompute would give them */
  @Column({ type: 'varchar', length: 40, nullable: true })
  reason: string | null;

  @Column({ type: 'text', nullable: true })
  message: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;
}

/** The bureau's cadence of rounds per region ('' = the whole fleet); no row = off. */
@Entity('round_schedules')
@Check('round_schedules_check', `"every_minutes" > 0`)
export class RoundScheduleEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  region: string;

  @Column({ name: 'every_minutes', type: 'integer' })
  everyMinutes: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
