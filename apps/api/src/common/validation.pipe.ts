import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { InputException } from './errors';

function firstError(errors: ValidationError[], prefix = ''): { field: string; message: string } | null {
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) {
      const msg = Object.values(e.constraints)[0];
      // class-validator messages start with the property name; qualify it with the full path
      return { field: path, message: msg.startsWith(e.property) ? path + msg.slice(e.property.length) : `${path}: ${msg}` };
    }
    const nested = firstError(e.children ?? [], path);
    if (nested) return nested;
  }
  return null;
}

/**
 * class-validator at the GraphQL boundary. Failures become BAD_USER_INPUT naming the field with
 * its argument path (e.g. `request.pflops must not be less than 0.001`).
 */
export class BoundaryValidationPipe extends ValidationPipe {
  constructor() {
    super({ transform: true, forbidUnknownValues: false, validationError: { target: false, value: false }, exceptionFactory: (errors) => errors });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await super.transform(value, metadata);
    } catch (e) {
      if (Array.isArray(e)) {
        const f = firstError(e as ValidationError[], metadata.data ?? '') ?? { field: metadata.data ?? 'input', message: 'invalid input' };
        throw new InputException(f.field, f.message);
      }
      throw e;
    }
  }
}
