import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { BookingEntity } from './booking.entity';
import { VoucherEntity } from './voucher.entity';

export const VOUCHER_LEDGER_KINDS = ['DRAW', 'REFUND', 'ADJUST'] as const;
export type VoucherLedgerKind = (typeof VOUCHER_LEDGER_KINDS)[number];

/**
 * One row per draw (booking) and per refund (cancellation), at most one of each per booking;
 * ADJUST rows give back money a supply revision left above the booking's new price.
 */
@Entity('voucher_ledger')
@Index('voucher_ledger_booking_once_idx', ['bookingId', 'kind'], { unique: true, where: `"kind" <> 'ADJUST'` })
@Index('voucher_ledger_voucher_created_idx', ['voucherId', 'createdAt'])
@Index('voucher_ledger_voucher_seq_idx', ['voucherId', 'seq'])
@Check('voucher_ledger_check', `"kind" IN ('DRAW', 'REFUND', 'ADJUST') AND "amount" > 0 AND "spent_after" >= 0`)
export class VoucherLedgerEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'voucher_id', type: 'uuid' })
  voucherId: string;

  @ManyToOne(() => VoucherEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'voucher_id', foreignKeyConstraintName: 'voucher_ledger_voucher_fk' })
  voucher?: VoucherEntity;

  @Column({ name: 'booking_id', type: 'uuid' })
  bookingId: string;

  @ManyToOne(() => BookingEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'voucher_ledger_booking_fk' })
  booking?: BookingEntity;

  @Column({ type: 'varchar', length: 8 })
  kind: VoucherLedgerKind;

  /** money drawn or refunded, > 0 */
  @Column({ type: 'numeric', precision: 16, scale: 2 })
  amount: string;

  /** the voucher's spent right after this entry */
  @Column({ name: 'spent_after', type: 'numeric', precision: 16, scale: 2 })
  spentAfter: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /**
   * Insertion order: entries of one voucher are written in the order its row is locked (every
   * writer updates the voucher first), so `seq` orders them as `spentAfter` was computed; several
   * entries of one transaction share `created_at`.
   */
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS', insert: false, update: false })
  seq: string;
}
