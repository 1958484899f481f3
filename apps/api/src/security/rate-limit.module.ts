import { DynamicModule, Module } from '@nestjs/common';
import { RATE_LIMITER, RateLimitPresence } from './rate-limit-presence.service';
import { TokenBucketLimiter } from './rate-limiter';

/** The per-key limit's share of this replica, kept current from the replicas' announcements. */
@Module({})
export class RateLimitModule {
  static forRoot(limiter: TokenBucketLimiter): DynamicModule {
    return { module: RateLimitModule, providers: [{ provide: RATE_LIMITER, useValue: limiter }, RateLimitPresence] };
  }
}
