import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createDataSourceOptions } from '@pflex/persistence';
import type { Logger } from 'pino';
import { BookingsModule } from './bookings/bookings.module';
import { ClustersModule } from './clusters/clusters.module';
import { DateTimeScalar } from './common/date-time.scalar';
import { formatGraphQLError } from './common/gql-exception.filter';
import { complexityPlugin, depthLimitRule } from './common/query-limits';
import { APP_CONFIG, AppConfig, PINO } from './config';
import { DatabaseModule } from './database/database.module';
import { EnergyModule } from './energy/energy.module';
import { HealthModule } from './health/health.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { SeedModule } from './seed/seed.module';
import { UtilizationModule } from './utilization/utilization.module';

@Module({})
class CoreModule {}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, log: Logger): DynamicModule {
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
        TypeOrmModule.forRootAsync({ useFactory: () => createDataSourceOptions(config.persistence) }),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          buildSchemaOptions: { scalarsMap: [{ type: Date, scalar: DateTimeScalar }] },
          context: ({ req }: { req: unknown }) => ({ req }),
          validationRules: [depthLimitRule(config.maxQueryDepth)],
          plugins: [complexityPlugin(config.maxQueryCost) as never],
          formatError: formatGraphQLError as never,
          includeStacktraceInErrorResponses: false,
          graphiql: false,
          playground: false,
          introspection: true,
        }),
        DatabaseModule,
        HealthModule,
        OrganizationsModule,
        ClustersModule,
        EnergyModule,
        BookingsModule,
        UtilizationModule,
        SeedModule,
      ],
    };
  }
}
