import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { CREDENTIAL_KINDS, CredentialKind } from '@keyhold/application';
import { LifecycleSubject } from '@keyhold/messaging';
import { IsInstant } from '../http/instant';
import { PageOf, PageQuery } from '../http/pagination';

/** Keyed by every subject kind of the lifecycle contract, so that a new kind cannot be forgotten here. */
const SUBJECTS: Record<LifecycleSubject['kind'], true> = {
  tenant: true,
  user: true,
  personal_api_token: true,
  service_account: true,
  access_token: true,
  connection: true,
  integration: true,
  api_client: true,
  user_grant: true,
  session: true,
  signing_key: true,
};
export const SUBJECT_KINDS = Object.keys(SUBJECTS) as LifecycleSubject['kind'][];


/** Ids are uuids, tenant ids, or `system:<component>` for actors: no spaces, quotes or operators. */
const IDENTIFIER = /^[A-Za-z0-9._:@-]+$/;
const EVENT_TYPE = /^[A-Z][A-Za-z]{1,63}$/;

/** `?type=A&type=B` and `?type=A,B` both mean "either type". */
const listOfTypes = ({ value }: { value: unknown }) =>
  (Array.isArray(value) ? value : [value]).flatMap((item) => (typeof item === 'string' ? item.split(',').map((part) => part.trim()) : [item]));

/** What to select from the history; the caller's tenant is always added. */
export class HistoryFilterQuery {
  @ApiPropertyOptional({ enum: SUBJECT_KINDS, description: 'What the events are about; needs `id` too.' })
  @ValidateIf((query: HistoryFilterQuery) => query.id !== undefined || query.kind !== undefined)
  @IsIn(SUBJECT_KINDS, { message: `kind must be one of: ${SUBJECT_KINDS.join(', ')} (and is required with id)` })
  kind?: LifecycleSubject['kind'];

  @ApiPropertyOptional({ description: 'The id of the credential or other subject; needs `kind` too.' })
  @ValidateIf((query: HistoryFilterQuery) => query.id !== undefined || query.kind !== undefined)
  @IsString({ message: 'id is required with kind' })
  @MaxLength(200)
  @Matches(IDENTIFIER, { message: 'id must be an identifier (letters, digits and . _ : @ -)' })
  id?: string;

  @ApiPropertyOptional({ description: 'Who acted: a user id, or `system:<component>`.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(IDENTIFIER, { message: 'actor must be an identifier (letters, digits and . _ : @ -)' })
  actor?: string;

  @ApiPropertyOptional({ type: [String], example: ['TokenIssued', 'TokenRevoked'], description: 'Event types, repeated or comma-separated: any of them.' })
  @IsOptional()
  @Transform(listOfTypes)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Matches(EVENT_TYPE, { each: true, message: 'each type must be an event type name such as TokenRevoked' })
  type?: string[];

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z', description: 'Events that occurred at or after this ISO 8601 instant.' })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ example: '2026-02-01T00:00:00Z', description: 'Events that occurred before this ISO 8601 instant.' })
  @IsOptional()
  @IsInstant()
  to?: string;
}

/** A page of the history: the filters plus `limit` and `cursor`. */
export class HistoryPageQuery extends IntersectionType(HistoryFilterQuery, PageQuery) {}

/** Which credential, and the instant to see it at. */
export class CredentialStateQuery {
  @ApiProperty({ enum: CREDENTIAL_KINDS })
  @IsIn(CREDENTIAL_KINDS, { message: `kind must be one of: ${CREDENTIAL_KINDS.join(', ')}` })
  kind!: CredentialKind;

  @ApiProperty({ description: 'The credential id.' })
  @IsString()
  @MaxLength(200)
  @Matches(IDENTIFIER, { message: 'id must be an identifier (letters, digits and . _ : @ -)' })
  id!: string;

  @ApiPropertyOptional({ example: '2026-01-15T12:00:00Z', description: 'ISO 8601 instant; omitted means now.' })
  @IsOptional()
  @IsInstant()
  at?: string;
}

class HistorySubject {
  @ApiProperty({ example: 'personal_api_token' })
  kind!: string;
  @ApiProperty()
  id!: string;
}

class HistoryStream {
  @ApiProperty()
  name!: string;
  @ApiProperty()
  revision!: number;
}

/** One event of the tenant's history, with its metadata and the lifecycle contract's data (no secret, hash or key). */
export class HistoryEntry {
  @ApiProperty({ format: 'uuid' })
  eventId!: string;
  @ApiProperty({ description: 'Its log position: entries come in this order.' })
  position!: string;
  @ApiProperty({ example: 'TokenRevoked' })
  type!: string;
  @ApiProperty()
  schemaVersion!: number;
  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;
  @ApiProperty()
  tenantId!: string;
  @ApiProperty()
  actorId!: string;
  @ApiProperty()
  correlationId!: string;
  @ApiProperty()
  causationId!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Keyhold-Reason, or a revocation\'s reason.' })
  reason!: string | null;
  @ApiProperty({ type: HistorySubject })
  subject!: HistorySubject;
  @ApiProperty({ type: HistoryStream })
  stream!: HistoryStream;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', nullable: true } })
  data!: Record<string, string | null>;
}

export class HistoryPage extends PageOf(HistoryEntry) {}

/** A credential as it was at an instant: what the REST API showed of it then (hints, never secrets). */
export class CredentialStateResponse {
  @ApiProperty({ enum: CREDENTIAL_KINDS })
  kind!: CredentialKind;
  @ApiProperty()
  id!: string;
  @ApiProperty({ format: 'date-time' })
  at!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "The kind's own fields, as its REST resource shows them." })
  state!: Record<string, unknown>;
}
