import { Check, Column, Entity, JoinColumn, OneToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { OrganizationEntity } from './organization.entity';

/**
 * The bureau's per-startup limits (null = no limit). Bookings of a startup with a rule lock
 * its row FOR UPDATE, so the limits are checked and the booking committed one at a time.
 */
@Entity('access_rules')
@Check(
  'access_rules_check',
  `("max_pflops_hours_per_7_days" IS NULL OR "max_pflops_hours_per_7_days" >= 0) AND ("max_cluster_share" IS NULL OR ("max_cluster_share" > 0 AND "max_cluster_share" <= 1))`,
)
export class AccessRuleEntity {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @OneToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'access_rules_org_fk' })
  org?: OrganizationEntity;

  /** PFLOPS-hours of bookings starting in any 7-day window */
  @Column({ name: 'max_pflops_hours_per_7_days', type: 'double precision', nullable: true })
  maxPflopsHoursPer7Days: number | null;

  /** largest fraction of a cluster's capacity the startup may hold in any hour, (0, 1] */
  @Column({ name: 'max_cluster_share', type: 'double precision', nullable: true })
  maxClusterShare: number | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
