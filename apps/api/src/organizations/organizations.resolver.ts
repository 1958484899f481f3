import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyModel, CreatedOrganizationModel, IssuedApiKeyModel, OrganizationModel } from './dtos/organization.model';
import { CreateOrganizationInput } from './dtos/create-organization.input';
import { OrganizationsService } from './organizations.service';
import { CurrentOrg, Roles } from './principal';
import type { Principal } from './principal';

@Resolver(() => OrganizationModel)
export class OrganizationsResolver {
  constructor(private readonly svc: OrganizationsService) {}

  @Query(() => OrganizationModel, { description: 'The organization of the calling API key.' })
  me(@CurrentOrg() p: Principal): Promise<OrganizationModel> {
    return this.svc.me(p);
  }

  @Roles('BUREAU')
  @Query(() => [OrganizationModel], { description: 'All organizations (bureau only; at most 1000).' })
  organizations(): Promise<OrganizationModel[]> {
    return this.svc.listOrganizations();
  }

  @Roles('BUREAU')
  @Query(() => [ApiKeyModel], { description: 'API keys of an organization, without secrets (bureau only).' })
  apiKeys(@Args('organizationId', { type: () => ID }) organizationId: string): Promise<ApiKeyModel[]> {
    return this.svc.listApiKeys(organizationId);
  }

  @Roles('BUREAU')
  @Mutation(() => CreatedOrganizationModel, { description: 'Creates an organization and its first API key (shown once).' })
  createOrganization(@Args('input') input: CreateOrganizationInput): Promise<CreatedOrganizationModel> {
    return this.svc.createOrganization(input.name, input.role);
  }

  @Roles('BUREAU')
  @Mutation(() => IssuedApiKeyModel, { description: 'Issues another API key for an organization (shown once).' })
  issueApiKey(@Args('organizationId', { type: () => ID }) organizationId: string): Promise<IssuedApiKeyModel> {
    return this.svc.issueApiKey(organizationId);
  }

  @Roles('BUREAU')
  @Mutation(() => ApiKeyModel, { description: 'Revokes an API key; it stops working at once.' })
  revokeApiKey(@Args('id', { type: () => ID }) id: string): Promise<ApiKeyModel> {
    return this.svc.revokeApiKey(id);
  }
}
