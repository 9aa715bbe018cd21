import { ValidationError, ValidationPipe } from '@nestjs/common';
import { Problem } from './problem';

type FieldErrors = Array<{ field: string; messages: string[] }>;

const flatten = (errors: ValidationError[], parent = ''): FieldErrors =>
  errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });

/**
 * Rejects unknown fields rather than dropping them: a client that misspells `expiresAt` must
 * learn that its token does not expire, not find out later. Messages name fields and rules,
 * never echo values (a value can be a secret pasted into the wrong field).
 */
const validationOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  validationError: { target: false, value: false },
} as const;

export const validationPipe = () =>
  new ValidationPipe({
    ...validationOptions,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new Problem('validation-error', fields.map((f) => f.messages.join('; ')).join('; '), { errors: fields });
    },
  });
