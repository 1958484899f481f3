import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createDataSourceOptions, initializeDataSource, permanentConnectError } from '@pflex/persistence';
import type { Logger } from 'pino';
import { BookingsModule } from './bookings/bookings.module';
import { RoundsModule } from './rounds/rounds.module';
import { ClustersModule } from './clusters/clusters.module';
import { DateTimeScalar } from './common/date-time.scalar';
import { formatGraphQLError, withoutSuggestions } from './common/gql-exception.filter';
import { inputFieldPlugin } from './common/input-field.plugin';
import { complexityPlugin, depthLimitRule, oneMutationRule } from './common/query-limits';
import { APP_CONFIG, AppConfig, PINO } from './config';
import { DashboardModule } from './dashboard/dashboard.module';
import { EnergyModule } from './energy/energy.module';
import { GridModule } from './grid/grid.module';
import { EventsModule } from './events/events.module';
import { graphqlWsOptions } from './events/graphql-ws.options';
import { httpSubscriptionPlugin } from './events/http-subscription.plugin';
import { HealthModule } from './health/health.module';
import { KpisModule } from './kpis/kpis.module';
import { LedgerModule } from './ledger/ledger.module';
import { MetricsModule } from './metrics/metrics.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { PublicKpisModule } from './public-kpis/public-kpis.module';
import { QuotasModule } from './quotas/quotas.module';
import { SeedModule } from './seed/seed.module';
import { RateLimitModule } from './security/rate-limit.module';
import { rateLimitPlugin } from './security/rate-limit.plugin';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, TokenBucketLimiter } from './security/rate-limiter';
import { UtilizationModule } from './utilization/utilization.module';
import { VouchersModule } from './vouchers/vouchers.module';

@Module({})
class CoreModule {}

/** Per-API-key rate limit across all replicas (RATE_LIMIT_PER_MINUTE; 0 turns it off). */
export function rateLimiter(config: AppConfig): TokenBucketLimiter | undefined {
  const perMinute = config.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
  return perMinute > 0 ? new TokenBucketLimiter(perMinute, config.now) : undefined;
}

@Module({})
export class AppModule {
  /** `limiter`: one bucket per key for both transports, holding this replica's share of the limit. */
  static forRoot(config: AppConfig, log: Logger, limiter = rateLimiter(config)): DynamicModule {
    return {
      module: AppModule,
      imports: [
        {
          module: CoreModule,
          global: true,
          providers: [
            { provide: APP_CONFIG, useValue: config },
            { provide: PINO, useValue: log },
          ],
          exports: [APP_CONFIG, PINO],
        },
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({
            ...(await createDataSourceOptions(config.persistence)),
            // a server starting alongside is waited for; a refused password or a missing database
            // will not change by waiting: the start stops at once (main.ts says why)
            toRetry: (e: unknown) => permanentConnectError(e, config.persistence.url) === null,
          }),
          dataSourceFactory: (options) => initializeDataSource(options!),
        }),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          buildSchemaOptions: { scalarsMap: [{ type: Date, scalar: DateTimeScalar }] },
          subscriptions: {
            'graphql-ws': graphqlWsOptions({
              maxQueryDepth: config.maxQueryDepth,
              maxQueryCost: config.maxQueryCost,
              introspection: !config.production,
              limiter,
            }),
          },
          validationRules: [depthLimitRule(config.maxQueryDepth), oneMutationRule],
          plugins: [
            inputFieldPlugin() as never,
            complexityPlugin(config.maxQueryCost) as never,
            httpSubscriptionPlugin() as never,
            ...(limiter ? [rateLimitPlugin(limiter) as never] : []),
          ],
          // production: no "Did you mean ...?" either where Apollo leaves it (variables' errors)
          formatError: (config.production
            ? (f: Parameters<typeof formatGraphQLError>[0]) => withoutSuggestions(formatGraphQLError(f))
            : formatGraphQLError) as never,
          includeStacktraceInErrorResponses: false,
          // no automatic persisted queries: unused here, and a cache that any client could fill
          persistedQueries: false,
          graphiql: false,
          playground: false,
          // production: no schema introspection (the landing page is off everywhere: graphiql false)
          introspection: !config.production,
          // and no "Did you mean ...?" field suggestions in validation errors either
          hideSchemaDetailsFromClientErrors: config.production,
        }),
        LedgerModule,
        EventsModule,
        MetricsModule,
        HealthModule,
        OrganizationsModule,
        ClustersModule,
        EnergyModule,
        GridModule,
        BookingsModule,
        RoundsModule,
        VouchersModule,
        QuotasModule,
        UtilizationModule,
        KpisModule,
        SeedModule,
        DashboardModule,
        PublicKpisModule,
        ...(limiter ? [RateLimitModule.forRoot(limiter)] : []),
      ],
    };
  }
}
