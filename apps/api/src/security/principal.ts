import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { OrgRole } from '@pflex/persistence';

/** The authenticated caller, attached to the request by AuthGuard. */
export interface Principal {
  orgId: string;
  name: string;
  role: OrgRole;
}

export const ROLES_KEY = 'pflex:roles';
export const PUBLIC_KEY = 'pflex:public';

/** Roles allowed to call an operation (ownership is checked in the services). */
export const Roles = (...roles: OrgRole[]) => SetMetadata(ROLES_KEY, roles);
/** No API key needed (health). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export function requestOf(ctx: ExecutionContext): {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
} {
  type Req = { headers: Record<string, string | string[] | undefined>; principal?: Principal };
  if (ctx.getType<string>() === 'graphql') return GqlExecutionContext.create(ctx).getContext<{ req: Req }>().req;
  return ctx.switchToHttp().getRequest<Req>();
}

export const CurrentOrg = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const p = requestOf(ctx).principal;
  if (!p) throw new Error('CurrentOrg used without AuthGuard');
  return p;
});
