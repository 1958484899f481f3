import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ClusterEntity } from './cluster.entity';

/** Audit trail of setCapacity calls; the ledger (cluster_hours) holds the effective capacity. */
@Entity('capacity_changes')
export class CapacityChangeEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('capacity_changes_cluster_idx')
  @Column({ name: 'cluster_id', type: 'uuid' })
  clusterId: string;

  @ManyToOne(() => ClusterEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'capacity_changes_cluster_fk' })
  cluster?: ClusterEntity;

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt: Date;

  @Column({ name: 'capacity_tflops', type: 'integer' })
  capacityTflops: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
