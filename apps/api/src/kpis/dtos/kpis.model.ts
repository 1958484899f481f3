import { Field, Float, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('Kpis', {
  description:
    'Marketplace figures over [from, to) for the clusters in scope (bureau: all, operator: its own), optionally one region.',
})
export class KpisModel {
  @Field(() => Date)
  from: Date;
  @Field(() => Date)
  to: Date;
  @Field(() => String, { nullable: true })
  region: string | null;
  @Field(() => Int, { description: 'clusters in scope' })
  clusters: number;
  @Field(() => Float, { description: 'sum over cluster hours in range of capacity PFLOPS x 1 h' })
  pflopsHoursAvailable: number;
  @Field(() => Float, { description: 'sum over cluster hours in range of booked PFLOPS x 1 h' })
  pflopsHoursBooked: number;
  @Field(() => Float, { description: 'pflopsHoursBooked / pflopsHoursAvailable (0 when nothing is available)' })
  utilization: number;
  @Field(() => Float, { description: 'highest total facility power of booked work in any hour of the range, MW' })
  peakMegawattsCommitted: number;
  @Field(() => Float, { description: 'bookedEnergyMwh / hours in the range, MW' })
  averageMegawattsCommitted: number;
  @Field(() => Float, { description: 'facility energy of booked work within the range, MWh' })
  bookedEnergyMwh: number;
  @Field(() => Float, { description: 'greenMwhUsed / bookedEnergyMwh (0 when nothing is booked)' })
  greenShare: number;
  @Field(() => Float, { description: 'green energy allocated to bookings within the range, MWh' })
  greenMwhUsed: number;
  @Field(() => Float, { description: 'green energy posted for the clusters within the range, MWh' })
  greenMwhOffered: number;
  @Field(() => Int, { description: 'confirmed bookings running at some hour of the range' })
  bookings: number;
  @Field(() => Int, { description: 'distinct startups among those bookings' })
  startupsServed: number;
  @Field(() => Float, {
    nullable: true,
    description:
      'median over those bookings of (booked at - first quote of the same request by the same startup), seconds; null when none was quoted first',
  })
  medianQuoteToBookingSeconds: number | null;
  @Field(() => Float, {
    description:
      'voucher money on those bookings, pro rata of their hours inside the range; the sum rounded to whole cents',
  })
  voucherMoneySpent: number;
  @Field(() => Float, {
    description:
      'cap - spent of vouchers valid at some time in the range and usable on a cluster in scope (for an operator, only vouchers that name one of its clusters: a voucher usable anywhere is not counted in its view); whole cents',
  })
  voucherMoneyLeft: number;
  @Field(() => Float, { description: 'green MWh the confirmed bookings were allocated when booked, within the range' })
  greenMwhPromised: number;
  @Field(() => Float, {
    description: 'green MWh they hold now, after supply revisions, within the range (= greenMwhUsed)',
  })
  greenMwhDelivered: number;
  @Field(() => Int, {
    description:
      'confirmed bookings with a minGreenShare above 0 running at some hour of the range (0 promises nothing)',
  })
  slaBookings: number;
  @Field(() => Int, { description: 'of those, bookings whose green share is now below their minGreenShare' })
  slaBreaches: number;
  @Field(() => Float, {
    nullable: true,
    description: '(slaBookings - slaBreaches) / slaBookings; null without SLA bookings',
  })
  slaAttainment: number | null;
  @Field(() => Float, { description: 'SLA credits owed on those bookings (operators to startups), whole cents' })
  slaCreditsOwed: number;
  @Field(() => Float, {
    description: 'grid energy drawn by booked work within the range (its energy minus the green it took), MWh',
  })
  gridMwhDrawn: number;
  @Field(() => Float, { description: 'highest grid power drawn by booked work in any hour of the range, MW' })
  peakGridMegawatts: number;
  @Field(() => Float, {
    nullable: true,
    description:
      "highest share of a site's reserved grid capacity drawn in any hour of the range (in [0, 1]); null when no site in scope has one",
  })
  peakShareOfReservedGrid: number | null;
  @Field(() => Float, {
    nullable: true,
    description:
      "share of the grid MWh drawn on clusters with a time-of-use tariff that falls in their valley hours (the tariff's lowest price); null without such clusters or draw",
  })
  valleyShare: number | null;
}
