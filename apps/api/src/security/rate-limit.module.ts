import { DynamicModule, Global, Module } from '@nestjs/common';
import { RATE_LIMITER, RateLimitPresence } from './rate-limit-presence.service';
import { TokenBucketLimiter } from './rate-limiter';

/**
 * The per-key limit's share of this replica, kept current from the replicas' announcements; the
 * limiter is global so that the AuthGuard can tell it which keys are real.
 */
@Global()
@Module({})
export class RateLimitModule {
  static forRoot(limiter: TokenBucketLimiter): DynamicModule {
    return {
      module: RateLimitModule,
      providers: [{ provide: RATE_LIMITER, useValue: limiter }, RateLimitPresence],
      exports: [RATE_LIMITER],
    };
  }
}
