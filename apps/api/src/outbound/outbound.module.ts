import { Module } from '@nestjs/common';
import { NodeOutboundHttp, OUTBOUND_HTTP } from './outbound-http';

/** The one outbound HTTP adapter, for every module that calls out (integration callbacks, connection token URLs). */
@Module({
  providers: [{ provide: OUTBOUND_HTTP, useClass: NodeOutboundHttp }],
  exports: [OUTBOUND_HTTP],
})
export class OutboundModule {}
