import { applyDecorators } from '@nestjs/common';
import { IsISO8601, ValidateBy } from 'class-validator';

/**
 * An ISO 8601 instant that the service can also compute with. class-validator's strict ISO
 * 8601 admits week dates (`2027-W01-1`), ordinal dates (`2027-183`) and the basic format
 * (`20270630T000000Z`), which `Date` reads as NaN: accepted, they reached `toISOString()` as an
 * invalid date and answered 500. Every instant in a request goes through this one decorator.
 */
export const IsInstant = () =>
  applyDecorators(
    IsISO8601({ strict: true, strictSeparator: true }),
    ValidateBy({
      name: 'isInstant',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && Number.isFinite(Date.parse(value)),
        defaultMessage: (args) => `${args?.property ?? 'value'} must be an ISO 8601 date-time in extended format, such as 2027-06-30T00:00:00Z`,
      },
    }),
  );
