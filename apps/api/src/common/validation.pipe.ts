import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { InputException } from './errors';

function firstError(errors: ValidationError[], prefix = ''): { field: string; message: string } | null {
  for (const e of errors) {
    // list elements as the rest of the API names them: rows[2].megawatts
    const path = !prefix
      ? e.property
      : /^\d+$/.test(e.property)
        ? `${prefix}[${e.property}]`
        : `${prefix}.${e.property}`;
    if (e.constraints) {
      const msg = Object.values(e.constraints)[0];
      // class-validator messages start with the property name; qualify it with the full path
      return {
        field: path,
        message: msg.startsWith(e.property) ? path + msg.slice(e.property.length) : `${path}: ${msg}`,
      };
    }
    const nested = firstError(e.children ?? [], path);
    if (nested) return nested;
  }
  return null;
}

/** U+0000, or a UTF-16 surrogate without its pair (not a character: stored as U+FFFD, so not as sent). */
// eslint-disable-next-line no-control-regex -- U+0000 is what this looks for
const NOT_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Path of the first string in an argument value that PostgreSQL text cannot hold as sent, if any. */
function nulPath(v: unknown, path: string, depth = 0): string | null {
  if (typeof v === 'string') return NOT_TEXT.test(v) ? path : null;
  if (v === null || typeof v !== 'object' || depth > 20) return null;
  for (const [k, x] of Object.entries(v)) {
    const p = nulPath(x, Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k, depth + 1);
    if (p) return p;
  }
  return null;
}

/**
 * class-validator at the GraphQL boundary. Failures become BAD_USER_INPUT naming the field with
 * its argument path (e.g. `request.pflops must not be less than 0.001`).
 */
export class BoundaryValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      forbidUnknownValues: false,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => errors,
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // an @ArgsType() class comes as one object of the arguments: their names are the paths
    const found = nulPath(value, metadata.data ?? '');
    // PostgreSQL text cannot hold U+0000 (the driver would fail) nor a lone surrogate (it would be
    // stored as U+FFFD, not what was sent): refused here, naming the field
    if (found !== null) {
      const nul = found || 'input';
      throw new InputException(
        nul,
        `${nul} must not contain the NUL character (U+0000) or an unpaired UTF-16 surrogate (U+D800–U+DFFF alone)`,
      );
    }
    try {
      return await super.transform(value, metadata);
    } catch (e) {
      if (Array.isArray(e)) {
        const f = firstError(e as ValidationError[], metadata.data ?? '') ?? {
          field: metadata.data ?? 'input',
          message: 'invalid input',
        };
        // a forecast row is also named by its index (extensions.row), as the import's own checks do
        const row = /^rows\[(\d+)\]/.exec(f.field);
        throw new InputException(f.field, f.message, row ? { row: Number(row[1]) } : undefined);
      }
      throw e;
    }
  }
}
