export * from './config';
export * from './hash-keys';
export * from './logger';
export * from './infrastructure.module';
export * from './projections.service';
export * from './master-keys';
export * from './metrics';
export * from './tracing';
