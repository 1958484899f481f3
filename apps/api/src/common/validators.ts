import { applyDecorators } from '@nestjs/common';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';

/** An optional list of 1 to 100 distinct ids (cluster lists of requests and vouchers). */
export function IsOptionalIdList(): PropertyDecorator {
  return applyDecorators(IsOptional(), IsArray(), ArrayMinSize(1), ArrayMaxSize(100), ArrayUnique(), IsString({ each: true }));
}

/** An optional finite share in [0, 1] (green shares). */
export function IsOptionalShare(): PropertyDecorator {
  return applyDecorators(IsOptional(), IsNumber({ allowNaN: false, allowInfinity: false }), Min(0), Max(1));
}
