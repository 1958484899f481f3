import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ClusterEntity } from './cluster.entity';

export const GREEN_SOURCES = ['SOLAR', 'WIND', 'HYDRO', 'OTHER'] as const;
export type GreenSource = (typeof GREEN_SOURCES)[number];

/** A posted green supply window; its watts are added to cluster_hours.green_supply_w. */
@Entity('green_windows')
@Index('green_windows_cluster_time_idx', ['clusterId', 'startsAt'])
@Index('green_windows_idempotency_key_uq', ['clusterId', 'idempotencyKey'], {
  unique: true,
  where: '"idempotency_key" IS NOT NULL',
})
@Check(
  'green_windows_check',
  `"ends_at" > "starts_at" AND "green_w" > 0 AND "price_per_mwh" >= 0 AND "source" IN ('SOLAR', 'WIND', 'HYDRO', 'OTHER')`,
)
export class GreenWindowEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'cluster_id', type: 'uuid' })
  clusterId: string;

  @ManyToOne(() => ClusterEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'green_windows_cluster_fk' })
  cluster?: ClusterEntity;

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt: Date;

  @Column({ type: 'double precision' })
  megawatts: number;

  /** round(megawatts * 1e6), the scheduler's unit */
  @Column({ name: 'green_w', type: 'bigint' })
  greenW: string;

  @Column({ type: 'varchar', length: 8 })
  source: GreenSource;

  @Column({ name: 'price_per_mwh', type: 'double precision' })
  pricePerMwh: number;

  /** the key the creating call was made with (trimmed), null without one */
  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;

  /** what the keyed request asked for, so that the key reused for another request is refused */
  @Column({ name: 'request_fingerprint', type: 'text', nullable: true })
  requestFingerprint: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
