import { GqlErrorCode, MappedDomainException } from '../common/errors';

export enum ClusterErrorCode {
  CLUSTER_NOT_FOUND = 'CLUSTER_NOT_FOUND',
  NOT_CLUSTER_OWNER = 'NOT_CLUSTER_OWNER',
  CAPACITY_CONFLICT = 'CAPACITY_CONFLICT',
  OUTSIDE_HORIZON = 'OUTSIDE_HORIZON',
}

const TO_GQL: Record<ClusterErrorCode, GqlErrorCode> = {
  CLUSTER_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  NOT_CLUSTER_OWNER: GqlErrorCode.FORBIDDEN,
  CAPACITY_CONFLICT: GqlErrorCode.CONFLICT,
  OUTSIDE_HORIZON: GqlErrorCode.BAD_USER_INPUT,
};

export class ClusterException extends MappedDomainException<ClusterErrorCode> {
  protected readonly toGql = TO_GQL;
}
