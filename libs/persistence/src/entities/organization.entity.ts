import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ORG_ROLES = ['STARTUP', 'OPERATOR', 'BUREAU'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

@Entity('organizations')
@Check('organizations_role_check', `"role" IN ('STARTUP', 'OPERATOR', 'BUREAU')`)
export class OrganizationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  role: OrgRole;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
