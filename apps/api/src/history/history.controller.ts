import { Controller, Get, Header, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { Principal } from '../verification/principal';
import { CredentialStateQuery, CredentialStateResponse, HistoryFilterQuery, HistoryPage, HistoryPageQuery } from './history.dto';
import { HistoryQuery } from './history.query';

const NDJSON = 'application/x-ndjson';

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
  constructor(private readonly history: HistoryQuery) {}

  @Get()
  @RequirePermissions('history:read')
  @ApiOperation({ summary: 'Events of the tenant in log order, filtered by subject, actor, type and time, one page at a time.' })
  @ApiOkResponse({ type: HistoryPage })
  list(@CurrentPrincipal() principal: Principal, @Query() query: HistoryPageQuery): Promise<HistoryPage> {
    const { limit, cursor, ...filter } = query;
    return this.history.page(principal.tenantId, filter, { limit, cursor });
  }

  @Get('export')
  @RequirePermissions('history:read')
  @Header('Cache-Control', 'no-store')
  @ApiProduces(NDJSON)
  @ApiOkResponse({ description: 'One HistoryEntry as JSON per line.', content: { [NDJSON]: { schema: { type: 'string' } } } })
  @ApiOperation({ summary: 'The same selection as the list, every page of it, as NDJSON: one event per line.' })
  export(@CurrentPrincipal() principal: Principal, @Query() filter: HistoryFilterQuery): StreamableFile {
    return new StreamableFile(Readable.from(ndjsonLines(this.history.export(principal.tenantId, filter))), { type: NDJSON });
  }

  @Get('state')
  @RequirePermissions('history:read')
  @ApiOperation({ summary: "A credential's state at an instant, folded from its events; 404 when it did not exist then." })
  @ApiOkResponse({ type: CredentialStateResponse })
  state(@CurrentPrincipal() principal: Principal, @Query() query: CredentialStateQuery): Promise<CredentialStateResponse> {
    const at = query.at === undefined ? new Date().toISOString() : new Date(query.at).toISOString();
    return this.history.credentialAt(principal.tenantId, query.kind, query.id, at);
  }
}
