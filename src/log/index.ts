// The log folder's door: one structured logger (pino), PII-masked, with the request id on every line.
export { createLogger, currentRequestId, maskForLog, withRequestId, type Logger, type LoggerOptions, type LogLevel } from './logger.js';
export { requestLogging, REQUEST_ID_HEADER } from './request_log.js';
