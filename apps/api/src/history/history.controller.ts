import { Controller, Get, Header, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { ExpiringSecretsQuery } from '../api-clients/api-clients.dto';
import { ExpiringClientSecrets } from '../api-clients/expiring-client-secrets';
import { Principal } from '../verification/principal';
import { CredentialStateAt, ExportHistory, ListHistory } from '@keyhold/application';
import { CredentialStateQuery, CredentialStateResponse, HistoryFilterQuery, HistoryPage, HistoryPageQuery } from './history.dto';

const NDJSON = 'application/x-ndjson';

/** The page `GET /v1/api-client-secrets` answers too: hints and dates of secrets, never a secret. */
const EXPIRING_SECRETS_PAGE = {
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'clientId', 'clientName', 'hint', 'createdAt', 'expiresAt'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          clientId: { type: 'string', format: 'uuid' },
          clientName: { type: 'string', nullable: true },
          hint: { type: 'string', example: 'kh_cs_…AbCd' },
          createdAt: { type: 'string', format: 'date-time' },
          expiresAt: { type: 'string', format: 'date-time' },
        },
      },
    },
    nextCursor: { type: 'string', nullable: true, description: 'Pass as ?cursor= for the next page; null on the last.' },
  },
};

async function* ndjsonLines(entries: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  for await (const entry of entries) yield Buffer.from(`${JSON.stringify(entry)}\n`);
}

/**
 * The audit history of the caller's tenant, for admins and auditors: what happened to which
 * credential, who did it and when, and a credential's state at any past instant. Secret
 * material never appears: entries carry the lifecycle contract's whitelisted data only.
 */
@ApiTags('history')
@ApiBearerAuth()
@Controller('v1/history')
export class HistoryController {
  constructor(
    private readonly listHistory: ListHistory,
    private readonly exportHistory: ExportHistory,
    private readonly credentialStateAt: CredentialStateAt,
    private readonly expiringSecrets: ExpiringClientSecrets,
  ) {}

  @Get()
  @RequirePermissions('history:read')
  @ApiOperation({ summary: 'Events of the tenant in log order, filtered by subject, actor, type and time, one page at a time.' })
  @ApiOkResponse({ type: HistoryPage })
  list(@CurrentPrincipal() principal: Principal, @Query() query: HistoryPageQuery): Promise<HistoryPage> {
    const { limit, cursor, ...filter } = query;
    return this.listHistory.execute({ tenantId: principal.tenantId, filter, limit: limit ?? 50, cursor: cursor ?? null });
  }

  @Get('export')
  @RequirePermissions('history:read')
  @Header('Cache-Control', 'no-store')
  @ApiProduces(NDJSON)
  @ApiOkResponse({ description: 'One HistoryEntry as JSON per line.', content: { [NDJSON]: { schema: { type: 'string' } } } })
  @ApiOperation({ summary: 'The same selection as the list, every page of it, as NDJSON: one event per line.' })
  export(@CurrentPrincipal() principal: Principal, @Query() filter: HistoryFilterQuery): StreamableFile {
    return new StreamableFile(Readable.from(ndjsonLines(this.exportHistory.execute({ tenantId: principal.tenantId, filter }))), { type: NDJSON });
  }

  @Get('state')
  @RequirePermissions('history:read')
  @ApiOperation({ summary: "A credential's state at an instant, folded from its events; 404 when it did not exist then." })
  @ApiOkResponse({ type: CredentialStateResponse })
  state(@CurrentPrincipal() principal: Principal, @Query() query: CredentialStateQuery): Promise<CredentialStateResponse> {
    const at = query.at === undefined ? new Date().toISOString() : new Date(query.at).toISOString();
    return this.credentialStateAt.execute({ tenantId: principal.tenantId, kind: query.kind, id: query.id, at });
  }

  /**
   * What `/v1/api-client-secrets` shows admins (client, hint, expiry), for auditors. Nothing new
   * to them: the history gives each secret's expiry and a client's state its name and hints;
   * this answers "what expires soon" without replaying them.
   */
  @Get('expiring-secrets')
  @RequirePermissions('history:read')
  @ApiOperation({ summary: "Active API client secrets expiring within N days, soonest first: hints and dates, never a secret." })
  @ApiOkResponse({ schema: EXPIRING_SECRETS_PAGE })
  expiring(@CurrentPrincipal() principal: Principal, @Query() query: ExpiringSecretsQuery) {
    return this.expiringSecrets.page(principal.tenantId, query.expiringWithinDays, query);
  }
}
