import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { OrganizationEntity } from './organization.entity';

/**
 * First quote per organization and request. `request_key` is md5 of the request as jsonb text
 * (pflops, hours, earliestStart, deadline, clusterIds, minGreenShare), the same normalisation
 * the KPI query applies to the first six elements of a booking's request fingerprint.
 */
@Entity('quote_log')
export class QuoteLogEntity {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'quote_log_org_fk' })
  org?: OrganizationEntity;

  @PrimaryColumn({ name: 'request_key', type: 'char', length: 32 })
  requestKey: string;

  @Column({ name: 'first_quoted_at', type: 'timestamptz', default: () => 'now()' })
  firstQuotedAt: Date;
}
