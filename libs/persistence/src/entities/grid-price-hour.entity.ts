import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ClusterEntity } from './cluster.entity';

/**
 * Grid prices an operator posted for a cluster hour by hour (an hourly series, e.g. day-ahead
 * market prices): they take precedence over the cluster's time-of-use tariff and flat price.
 */
@Entity('grid_price_hours')
@Check('grid_price_hours_check', `"price_per_mwh" >= 0`)
export class GridPriceHourEntity {
  @PrimaryColumn({ name: 'cluster_id', type: 'uuid' })
  clusterId: string;

  @PrimaryColumn({ type: 'timestamptz' })
  hour: Date;

  @ManyToOne(() => ClusterEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'grid_price_hours_cluster_fk' })
  cluster?: ClusterEntity;

  @Column({ name: 'price_per_mwh', type: 'double precision' })
  pricePerMwh: number;
}
