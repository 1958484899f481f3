import { MAX_GREEN_W } from '@pflex/scheduler';
import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ClusterEntity } from './cluster.entity';

/**
 * The ledger: one row per cluster and UTC hour of the bookable horizon. Every booking,
 * cancellation, capacity change and green window updates these rows in its transaction, and
 * the CHECK constraints make overbooking impossible whatever the number of API processes.
 */
@Entity('cluster_hours')
@Check('cluster_hours_capacity_check', `"booked_tflops" >= 0 AND "booked_tflops" <= "capacity_tflops"`)
@Check('cluster_hours_grid_check', `"grid_w" >= 0`)
@Check('cluster_hours_green_price_check', `"green_price_weight" >= 0`)
@Check(
  'cluster_hours_green_check',
  `"green_alloc_w" >= 0 AND "green_alloc_w" <= "green_supply_w" AND "green_supply_w" <= ${MAX_GREEN_W}`,
)
export class ClusterHourEntity {
  @PrimaryColumn({ name: 'cluster_id', type: 'uuid' })
  clusterId: string;

  @PrimaryColumn({ type: 'timestamptz' })
  hour: Date;

  @ManyToOne(() => ClusterEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'cluster_hours_cluster_fk' })
  cluster?: ClusterEntity;

  @Column({ name: 'capacity_tflops', type: 'integer' })
  capacityTflops: number;

  @Column({ name: 'booked_tflops', type: 'integer', default: 0 })
  bookedTflops: number;

  @Column({ name: 'green_supply_w', type: 'bigint', default: 0 })
  greenSupplyW: string;

  @Column({ name: 'green_alloc_w', type: 'bigint', default: 0 })
  greenAllocW: string;

  /** grid power the hour's bookings draw: sum of each one's draw minus the green it took, W */
  @Column({ name: 'grid_w', type: 'bigint', default: 0 })
  gridW: string;

  /** sum over covering windows of W x price per MWh; slot green price = this / green_supply_w */
  @Column({ name: 'green_price_weight', type: 'numeric', default: 0 })
  greenPriceWeight: string;
}
