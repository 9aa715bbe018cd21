import { CanActivate, Controller, ExecutionContext, Get, Header, Inject, Injectable, Module, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { KEYHOLD_CONFIG, KeyholdConfig, KeyholdMetrics } from '@keyhold/platform';
import { BearerAuthGuard, Public } from '../http/auth';
import { Problem } from '../http/problem';
import { VerificationModule } from '../verification/verification.module';

const BEARER = /^Bearer ([^\s]+)$/i;
const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Who reads /metrics. The figures are service-wide (no tenant in any label), so by default only a
 * token with `settings:read` (an admin's) reads them; an operator who sets METRICS_TOKEN gives
 * the scraper that one token and nobody else reads them; METRICS=off answers 404.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  constructor(
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
    private readonly bearer: BearerAuthGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.config.METRICS === 'off') throw new Problem('not-found', 'Metrics are switched off on this service (METRICS=off).');
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const expected = this.config.METRICS_TOKEN;
    if (expected === undefined) return this.bearer.authorize(request, ['settings:read']);
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), digest(expected))) {
      throw new Problem('unauthenticated', 'Metrics are read with the scrape token this service was configured with (METRICS_TOKEN).');
    }
    return true;
  }
}

@ApiTags('operations')
@ApiBearerAuth()
@Controller('metrics')
@Public()
@UseGuards(MetricsAccessGuard)
export class MetricsController {
  constructor(private readonly metrics: KeyholdMetrics) {}

  /** Prometheus text exposition format 0.0.4. */
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } })
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}

@Module({
  imports: [VerificationModule],
  controllers: [MetricsController],
  providers: [MetricsAccessGuard],
})
export class MetricsModule {}
