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
} from 'typeorm';
import { OrganizationEntity } from './organization.entity';

/** A campus behind one grid connection: its clusters share the grid capacity reserved for it. */
@Entity('sites')
export class SiteEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('sites_owner_idx')
  @Column({ name: 'owner_org_id', type: 'uuid' })
  ownerOrgId: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_org_id', foreignKeyConstraintName: 'sites_owner_fk' })
  owner?: OrganizationEntity;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 100 })
  region: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/**
 * The grid side of the ledger: one row per site and UTC hour that has a reserved grid capacity
 * or grid drawn. `grid_used_w` is the sum over the site's clusters' bookings of draw minus the
 * green each took in that hour; every booking, cancellation and revision updates it in its
 * transaction, and the CHECK keeps it within the reserved capacity (NULL: none reserved, no cap).
 */
@Entity('site_hours')
@Check(
  'site_hours_grid_check',
  `"grid_used_w" >= 0 AND ("grid_cap_w" IS NULL OR ("grid_cap_w" >= 0 AND "grid_used_w" <= "grid_cap_w"))`,
)
export class SiteHourEntity {
  @PrimaryColumn({ name: 'site_id', type: 'uuid' })
  siteId: string;

  @PrimaryColumn({ type: 'timestamptz' })
  hour: Date;

  @ManyToOne(() => SiteEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'site_id', foreignKeyConstraintName: 'site_hours_site_fk' })
  site?: SiteEntity;

  @Column({ name: 'grid_cap_w', type: 'bigint', nullable: true })
  gridCapW: string | null;

  @Column({ name: 'grid_used_w', type: 'bigint', default: 0 })
  gridUsedW: string;
}
