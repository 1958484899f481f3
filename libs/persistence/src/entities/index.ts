export * from './organization.entity';
export * from './api-key.entity';
export * from './cluster.entity';
export * from './capacity-change.entity';
export * from './green-window.entity';
export * from './booking.entity';
export * from './cluster-hour.entity';
export * from './voucher.entity';
export * from './voucher-ledger.entity';
export * from './access-rule.entity';
export * from './quote-log.entity';
export * from './ledger-version.entity';
import { AccessRuleEntity } from './access-rule.entity';
import { ApiKeyEntity } from './api-key.entity';
import { BookingEntity } from './booking.entity';
import { CapacityChangeEntity } from './capacity-change.entity';
import { ClusterHourEntity } from './cluster-hour.entity';
import { ClusterEntity } from './cluster.entity';
import {
  GreenRevisionBookingEntity,
  GreenRevisionEntity,
  SlaCreditEntity,
  SlaSettingsEntity,
} from './green-sla.entity';
import { GreenWindowEntity } from './green-window.entity';
import { LedgerVersionEntity } from './ledger-version.entity';
import { OrganizationEntity } from './organization.entity';
import { QuoteLogEntity } from './quote-log.entity';
import { GridPriceHourEntity } from './grid-price-hour.entity';
import { SiteEntity, SiteHourEntity } from './site.entity';
import { RoundEntity, RoundRequestEntity, RoundScheduleEntity } from './round.entity';
import { VoucherLedgerEntity } from './voucher-ledger.entity';
import { VoucherEntity } from './voucher.entity';

export const ENTITIES = [
  OrganizationEntity,
  ApiKeyEntity,
  ClusterEntity,
  CapacityChangeEntity,
  GreenWindowEntity,
  BookingEntity,
  ClusterHourEntity,
  VoucherEntity,
  VoucherLedgerEntity,
  AccessRuleEntity,
  QuoteLogEntity,
  LedgerVersionEntity,
  RoundEntity,
  RoundRequestEntity,
  RoundScheduleEntity,
  GreenRevisionEntity,
  GreenRevisionBookingEntity,
  SlaCreditEntity,
  SlaSettingsEntity,
  SiteEntity,
  SiteHourEntity,
  GridPriceHourEntity,
];
export * from './site.entity';
export * from './grid-price-hour.entity';
export * from './round.entity';
export * from './green-sla.entity';
