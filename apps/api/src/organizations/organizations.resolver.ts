import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import {
  ApiKeyModel,
  CreatedOrganizationModel,
  IssuedApiKeyModel,
  OrganizationConnection,
  OrganizationModel,
} from './dtos/organization.model';
import { CreateOrganizationInput } from './dtos/create-organization.input';
import { OrganizationsService } from './organizations.service';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';

@Resolver(() => OrganizationModel)
export class OrganizationsResolver {
  constructor(private readonly svc: OrganizationsService) {}

  @Query(() => OrganizationModel, { description: 'The organization of the calling API key.' })
  me(@CurrentOrg() p: Principal): Promise<OrganizationModel> {
    return this.svc.me(p);
  }

  @Roles('BUREAU')
  @Query(() => OrganizationConnection, { description: 'All organizations, oldest first (bureau only).' })
  organizations(
    @Args('first', { type: () => Int, nullable: true, description: 'page size, 1..100 (default 20)' }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<OrganizationConnection> {
    return this.svc.listOrganizations(first, after);
  }

  @Roles('BUREAU')
  @Query(() => [ApiKeyModel], {
    description:
      'API keys of an organization without secrets (bureau only): every key issued through the API and in force, oldest first, then the most recently revoked, up to 1,000 in all. A BUREAU_API_KEY from the environment is not stored, so not listed: it is retired by changing the environment.',
  })
  apiKeys(@Args('organizationId', { type: () => ID }) organizationId: string): Promise<ApiKeyModel[]> {
    return this.svc.listApiKeys(organizationId);
  }

  @Roles('BUREAU')
  @Mutation(() => CreatedOrganizationModel, {
    description: 'Creates an organization and its first API key (shown once).',
  })
  createOrganization(@Args('input') input: CreateOrganizationInput): Promise<CreatedOrganizationModel> {
    return this.svc.createOrganization(input.name, input.role);
  }

  @Roles('BUREAU')
  @Mutation(() => IssuedApiKeyModel, { description: 'Issues another API key for an organization (shown once).' })
  issueApiKey(@Args('organizationId', { type: () => ID }) organizationId: string): Promise<IssuedApiKeyModel> {
    return this.svc.issueApiKey(organizationId);
  }

  @Roles('BUREAU')
  @Mutation(() => ApiKeyModel, {
    description:
      'Revokes an API key; it stops working at once on the process that revoked it, and on every other process within the change feed delivery time (SECURITY.md). CONFLICT LAST_BUREAU_KEY for the last bureau key in force when no BUREAU_API_KEY is configured (issue another first).',
  })
  revokeApiKey(@Args('id', { type: () => ID }) id: string): Promise<ApiKeyModel> {
    return this.svc.revokeApiKey(id);
  }
}
