import { applyDecorators } from '@nestjs/common';
import { decimalPlaces } from '@pflex/scheduler';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateBy,
} from 'class-validator';

/** An optional list of 1 to 100 ids (cluster lists of requests and vouchers; a repeat counts once, see distinctIds). */
export function IsOptionalIdList(): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    IsArray(),
    ArrayMinSize(1, { message: '$property must not be empty' }),
    ArrayMaxSize(100),
    IsString({ each: true }),
  );
}

/** An optional finite share in [0, 1] (green shares). */
export function IsOptionalShare(): PropertyDecorator {
  return applyDecorators(IsOptional(), IsNumber({ allowNaN: false, allowInfinity: false }), Min(0), Max(1));
}

/**
 * A finite number with at most `decimals` decimals (counted robustly, see decimalPlaces), in
 * [min, max]. Messages name the field and the value: `megawatts must have at most 3 decimals, got 1.2345`.
 */
export function IsDecimal({ decimals, min, max }: { decimals: number; min: number; max: number }): PropertyDecorator {
  return applyDecorators(
    IsNumber({ allowNaN: false, allowInfinity: false }),
    ValidateBy({
      name: 'maxDecimals',
      constraints: [decimals],
      validator: {
        validate: (v: unknown) => typeof v === 'number' && Number.isFinite(v) && decimalPlaces(v) <= decimals,
        defaultMessage: (a) => `${a?.property} must have at most ${decimals} decimals, got ${String(a?.value)}`,
      },
    }),
    Min(min),
    Max(max),
  );
}

/**
 * PFLOPS, PFLOPS-hours and MW as the schema states them: at most 3 decimals (whole TFLOPS,
 * whole kW), in [min, max]. The one check for every such input.
 */
export function IsQuantity(opts: { min: number; max: number }): PropertyDecorator {
  return IsDecimal({ decimals: 3, ...opts });
}

/** Money in whole cents (2 decimals), in [min, max]; see common/money.ts. */
export function IsMoney(opts: { min: number; max: number }): PropertyDecorator {
  return IsDecimal({ decimals: 2, ...opts });
}
