import { Module } from '@nestjs/common';
import { VouchersResolver } from './vouchers.resolver';
import { VouchersService } from './vouchers.service';

@Module({ providers: [VouchersService, VouchersResolver], exports: [VouchersService] })
export class VouchersModule {}
