export { SqliteStore, type StoredTurn, type TranscriptRow } from './sqlite_store.js';
