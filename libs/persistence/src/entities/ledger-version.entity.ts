import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ClusterEntity } from './cluster.entity';

/**
 * One row per cluster: the version of its ledger (cluster_hours). Every transaction that changes
 * a cluster's ledger rows locks this row first (so writers of one cluster are serialised and never
 * deadlock on the hour rows), raises the version by one and announces its per-hour changes with
 * that version, so each API process can keep its in-memory timelines exact and notice a gap.
 */
@Entity('ledger_versions')
export class LedgerVersionEntity {
  @PrimaryColumn({ name: 'cluster_id', type: 'uuid' })
  clusterId: string;

  @ManyToOne(() => ClusterEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'ledger_versions_cluster_fk' })
  cluster?: ClusterEntity;

  @Column({ type: 'bigint', default: 0 })
  version: string;
}
