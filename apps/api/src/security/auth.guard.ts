import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { OrgRole } from '@pflex/persistence';
import { OrganizationErrorCode, OrganizationException } from '../organizations/organizations.exception';
import { OrganizationsService } from '../organizations/organizations.service';
import { PUBLIC_KEY, requestOf, ROLES_KEY } from './principal';
import { RATE_LIMITER } from './rate-limit-presence.service';
import { keyHashOf } from './rate-limit.plugin';
import type { TokenBucketLimiter } from './rate-limiter';

/** Global guard: every operation needs `Authorization: Bearer <key>` unless marked @Public. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly orgs: OrganizationsService,
    @Optional() @Inject(RATE_LIMITER) private readonly limiter?: TokenBucketLimiter,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = requestOf(ctx);
    const header = req.headers['authorization'];
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m)
      throw new OrganizationException(
        OrganizationErrorCode.MISSING_API_KEY,
        'send your API key as "Authorization: Bearer <key>"',
      );
    const principal = await this.orgs.authenticate(m[1]);
    if (!principal)
      throw new OrganizationException(OrganizationErrorCode.INVALID_API_KEY, 'the API key is unknown or revoked');
    req.principal = principal;
    // a real key: from now on its requests count against its own bucket, not its sender's address
    if (this.limiter) {
      const hash = keyHashOf(req);
      if (hash !== null) this.limiter.markVerified(hash);
    }
    const roles = this.reflector.getAllAndOverride<OrgRole[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new OrganizationException(
        OrganizationErrorCode.ROLE_NOT_ALLOWED,
        `this operation is for ${roles.join(' or ')} organizations; you are ${principal.role}`,
      );
    }
    return true;
  }
}
