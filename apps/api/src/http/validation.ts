import { ArgumentMetadata, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
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

const toProblem = (errors: ValidationError[]) => {
  const fields = flatten(errors);
  return new Problem('validation-error', fields.map((f) => f.messages.join('; ')).join('; '), { errors: fields });
};

const OAUTH_FORM = Symbol('keyhold:oauth-form');

/**
 * Marks the form of an OAuth endpoint, read by other rules than the REST API's: RFC 6749 §3.2
 * says parameters the server does not know MUST be ignored (`resource` of RFC 8707, an
 * extension's field) and parameters sent without a value MUST be treated as omitted (`scope=`).
 */
export const OAuthForm = (): ClassDecorator => (target) => Reflect.defineMetadata(OAUTH_FORM, true, target);

const withoutEmptyValues = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).filter(([, field]) => field !== '')) : value;

/** The REST API's rules for every DTO, the OAuth rules for the forms marked @OAuthForm. */
class KeyholdValidationPipe implements PipeTransform {
  private readonly rest = new ValidationPipe({ ...validationOptions, exceptionFactory: toProblem });
  private readonly oauthForm = new ValidationPipe({ ...validationOptions, forbidNonWhitelisted: false, exceptionFactory: toProblem });

  transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    return metadata.metatype && Reflect.getMetadata(OAUTH_FORM, metadata.metatype)
      ? this.oauthForm.transform(withoutEmptyValues(value), metadata)
      : this.rest.transform(value, metadata);
  }
}

export const validationPipe = (): PipeTransform => new KeyholdValidationPipe();
