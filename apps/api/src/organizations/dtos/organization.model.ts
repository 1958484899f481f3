import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { PageInfo } from '../../common/pagination';

export enum OrganizationRole {
  STARTUP = 'STARTUP',
  OPERATOR = 'OPERATOR',
  BUREAU = 'BUREAU',
}
registerEnumType(OrganizationRole, { name: 'OrganizationRole' });

@ObjectType('Organization')
export class OrganizationModel {
  @Field(() => ID)
  id: string;
  @Field()
  name: string;
  @Field(() => OrganizationRole)
  role: OrganizationRole;
  @Field(() => Date)
  createdAt: Date;
}

@ObjectType('ApiKey', { description: 'An API key as listed; the secret itself is never returned again.' })
export class ApiKeyModel {
  @Field(() => ID)
  id: string;
  @Field(() => ID)
  organizationId: string;
  @Field({ description: 'first characters of the key, for recognising it' })
  prefix: string;
  @Field(() => Date)
  createdAt: Date;
  @Field(() => Date, { nullable: true })
  revokedAt: Date | null;
}

@ObjectType('IssuedApiKey')
export class IssuedApiKeyModel {
  @Field(() => ApiKeyModel)
  apiKey: ApiKeyModel;
  @Field({ description: 'the secret key; shown only in this response, store it now' })
  key: string;
}

@ObjectType('CreatedOrganization')
export class CreatedOrganizationModel {
  @Field(() => OrganizationModel)
  organization: OrganizationModel;
  @Field(() => IssuedApiKeyModel)
  firstKey: IssuedApiKeyModel;
}

@ObjectType('OrganizationEdge')
export class OrganizationEdge {
  @Field()
  cursor: string;
  @Field(() => OrganizationModel)
  node: OrganizationModel;
}

@ObjectType('OrganizationConnection')
export class OrganizationConnection {
  @Field(() => [OrganizationEdge])
  edges: OrganizationEdge[];
  @Field(() => PageInfo)
  pageInfo: PageInfo;
}
