export * from './organization.entity';
export * from './api-key.entity';
export * from './cluster.entity';
export * from './capacity-change.entity';
export * from './green-window.entity';
export * from './booking.entity';
export * from './cluster-hour.entity';
import { ApiKeyEntity } from './api-key.entity';
import { BookingEntity } from './booking.entity';
import { CapacityChangeEntity } from './capacity-change.entity';
import { ClusterHourEntity } from './cluster-hour.entity';
import { ClusterEntity } from './cluster.entity';
import { GreenWindowEntity } from './green-window.entity';
import { OrganizationEntity } from './organization.entity';

export const ENTITIES = [OrganizationEntity, ApiKeyEntity, ClusterEntity, CapacityChangeEntity, GreenWindowEntity, BookingEntity, ClusterHourEntity];
