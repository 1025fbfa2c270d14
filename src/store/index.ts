export { SqliteStore, isStoreFailure, type SqliteStoreOptions, type StoredTurn, type TranscriptRow } from './sqlite_store.js';
export { CorpusStore, auditToCsv, type ItemKind, type ItemVersion, type AuditEntry, type ChangeInput } from './corpus_store.js';
export { RedisSessionStore, redactUrl, type SessionStore } from './session_store.js';
export { StoreError, redisFailureCode } from './errors.js';
export { connectRedis, type RedisClientOptions } from './redis_client.js';
