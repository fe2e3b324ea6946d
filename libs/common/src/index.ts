export * from './errors/all-exceptions.filter';
export * from './errors/api-error.dto';
export * from './errors/domain.error';
export * from './errors/error-status.table';
export * from './http/request-id';
export * from './time/clock';
export * from './validation/validation.pipe';
export * from './logging/logging.module';
