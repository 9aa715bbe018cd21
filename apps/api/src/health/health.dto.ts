import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** What /health and /health/ready answer, for the API document. */
export class LiveResponse {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

class CheckResponse {
  @ApiProperty({ enum: ['up', 'down'] })
  status!: 'up' | 'down';
  @ApiPropertyOptional({ description: 'Why it is down.' })
  detail?: string;
}

class ChecksResponse {
  @ApiProperty({ type: CheckResponse })
  eventStore!: CheckResponse;
  @ApiProperty({ type: CheckResponse })
  readModels!: CheckResponse;
  @ApiProperty({ type: CheckResponse })
  messageBus!: CheckResponse;
}

class ProjectionFailureResponse {
  @ApiProperty()
  message!: string;
  @ApiProperty({ nullable: true, type: String })
  position!: string | null;
  @ApiProperty({ format: 'date-time' })
  since!: string;
}

class ProjectionHealthResponse {
  @ApiProperty()
  name!: string;
  @ApiProperty({
    enum: ['reads', 'background'],
    description: "'reads': requests read what it writes, and a command waits for it; 'background': none does (the lifecycle relay, the key shredder), and it catches up at a share of the serving thread.",
  })
  serves!: 'reads' | 'background';
  @ApiProperty({ enum: ['up', 'failing'] })
  status!: 'up' | 'failing';
  @ApiProperty({ nullable: true, type: String, description: 'The last log position it applied.' })
  position!: string | null;
  @ApiProperty({ description: 'Whether it has yet to apply the head of the log.' })
  behind!: boolean;
  @ApiPropertyOptional({ type: ProjectionFailureResponse })
  failure?: ProjectionFailureResponse;
}

class RevocationFeedResponse {
  @ApiProperty({ enum: ['fresh', 'stale'] })
  state!: 'fresh' | 'stale';
  @ApiProperty({ format: 'date-time' })
  lastHeardAt!: string;
  @ApiProperty()
  silentForMs!: number;
  @ApiProperty()
  boundMs!: number;
}

export class ReadyResponse {
  @ApiProperty({ enum: ['ready', 'not_ready'] })
  status!: 'ready' | 'not_ready';
  @ApiProperty({ type: ChecksResponse })
  checks!: ChecksResponse;
  @ApiProperty({ type: [ProjectionHealthResponse] })
  projections!: ProjectionHealthResponse[];
  @ApiProperty({ nullable: true, type: String, description: 'The position of the last event in the log.' })
  head!: string | null;
  @ApiProperty({ type: RevocationFeedResponse })
  revocationFeed!: RevocationFeedResponse;
}
