import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CommandRefused, RefusalCode } from './command-refusal';

/**
 * Holds a part of a command message (the envelope, a payload) to its class's rules as strictly as
 * REST holds a body: unknown members are refused, and the reason names fields and rules, never a
 * value (a value can be a secret put in the wrong member).
 */
export const validMessagePart = async <T extends object>(
  metatype: new () => T,
  value: unknown,
  refusal: { readonly code: Extract<RefusalCode, 'invalid-envelope' | 'validation-error'>; readonly part: string; readonly commandId: string | null },
): Promise<T> => {
  const instance = plainToInstance(metatype, value);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } });
  if (errors.length === 0) return instance;
  const reasons = errors.flatMap((error) => Object.values(error.constraints ?? {}));
  throw new CommandRefused(refusal.code, `${refusal.part}: ${reasons.join('; ')}`, refusal.commandId);
};
