import { InitMarketplace1764316800000 } from './1764316800000-InitMarketplace';
import { VouchersAccessRules1764330000000 } from './1764330000000-VouchersAccessRules';
import { QuoteLog1764340000000 } from './1764340000000-QuoteLog';
import { LedgerVersions1764400000000 } from './1764400000000-LedgerVersions';
import { Rounds1764500000000 } from './1764500000000-Rounds';
import { GreenSla1764600000000 } from './1764600000000-GreenSla';
import { GridSide1764700000000 } from './1764700000000-GridSide';
import { GridPriceSeries1764800000000 } from './1764800000000-GridPriceSeries';
import { BookingGridPrices1764900000000 } from './1764900000000-BookingGridPrices';
import { VoucherLedgerSeq1765000000000 } from './1765000000000-VoucherLedgerSeq';
import { RoundClosed1765100000000 } from './1765100000000-RoundClosed';
import { BookingSpans1765200000000 } from './1765200000000-BookingSpans';
import { GreenPriceWeight1765300000000 } from './1765300000000-GreenPriceWeight';
import { BookingSpansRepair1765400000000 } from './1765400000000-BookingSpansRepair';
import { VoucherIdempotency1765500000000 } from './1765500000000-VoucherIdempotency';
import { CreationIdempotency1765600000000 } from './1765600000000-CreationIdempotency';

/** In order; never edit one after it has landed, add a new one. */
export const MIGRATIONS = [
  InitMarketplace1764316800000,
  VouchersAccessRules1764330000000,
  QuoteLog1764340000000,
  LedgerVersions1764400000000,
  Rounds1764500000000,
  GreenSla1764600000000,
  GridSide1764700000000,
  GridPriceSeries1764800000000,
  BookingGridPrices1764900000000,
  VoucherLedgerSeq1765000000000,
  RoundClosed1765100000000,
  BookingSpans1765200000000,
  GreenPriceWeight1765300000000,
  BookingSpansRepair1765400000000,
  VoucherIdempotency1765500000000,
  CreationIdempotency1765600000000,
];
