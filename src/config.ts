import path from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from './repo_root.js';

/** Repository root, resolved from this file so the CLI works from any working directory. */
export { REPO_ROOT };

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('data'),
  KNOWLEDGE_DIR: z.string().default('knowledge'),
  ADMIN_TOKEN: optionalString,
  WECHAT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_CLIENT_ID: optionalString,
  SLACK_CLIENT_SECRET: optionalString,
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString,
  OPENAI_MODEL: z.string().default('gpt-4o-mini'),
  OPENAI_EMBEDDING_MODEL: optionalString,
  OPENAI_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000),
  // The offline embedder's vector size: the HNSW index holds 4 bytes a dimension a chunk (README "Performance").
  OFFLINE_EMBEDDING_DIM: z.coerce.number().int().min(32).max(2048).default(256),
  REDIS_URL: optionalString,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  MAX_MESSAGE_CHARS: z.coerce.number().int().positive().default(2000),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(72),
  // Channels (src/channels): WeChat customer-service API and reply budget, Slack install settings, streaming pace.
  WECHAT_APP_ID: optionalString,
  WECHAT_APP_SECRET: optionalString,
  WECHAT_API_BASE_URL: z.url().default('https://api.weixin.qq.com'),
  WECHAT_REPLY_BUDGET_MS: z.coerce.number().int().min(1).max(4800).default(4000),
  SLACK_REDIRECT_URI: optionalString,
  SLACK_SCOPES: z.string().default('app_mentions:read,chat:write,im:history'),
  SLACK_API_BASE_URL: z.url().default('https://slack.com/api/'),
  STREAM_PACE_MS: z.coerce.number().int().min(0).max(1000).default(15),
  // Reliability and security: browser origins allowed to call /api and /v1 (unset = no CORS), and how
  // long a write to the transcript store waits for a lock before it is given up (the turn is still answered).
  CORS_ORIGINS: optionalString.pipe(
    z
      .string()
      .optional()
      .refine((v) => v === undefined || v === '*' || v.split(',').every((o) => isOrigin(o.trim())), 'must be * or a comma list of origins such as https://example.org'),
  ),
  SQLITE_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  // Milliseconds a Redis command (session read/write, rate-limit count) may take before it is given up;
  // a dead or stuck Redis then costs a turn at most this per command, and the turn is still answered.
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  // WeChat signs the query's timestamp: a signed request whose timestamp is further than this many
  // seconds from the server's clock is refused (401) as a replay. 0 = no check.
  WECHAT_MAX_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).default(300),
  // Slow clients: the whole request head must arrive within HTTP_HEADERS_TIMEOUT_MS and the whole request
  // (head and body) within HTTP_REQUEST_TIMEOUT_MS, or the connection is answered 408 and closed.
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  // Performance and scale-out (README "Performance and scaling out"). Chat requests allowed per minute
  // per client address and per session on /api/chat, /api/chat/stream and /v1/chat/completions (0 = no
  // limit); counted in Redis when REDIS_URL is set, so the limits hold across instances.
  RATE_LIMIT_PER_MINUTE_IP: z.coerce.number().int().min(0).default(120),
  RATE_LIMIT_PER_MINUTE_SESSION: z.coerce.number().int().min(0).default(30),
  // Behind a load balancer: how many proxy hops to trust for the client address (X-Forwarded-For), or a
  // comma list of trusted proxy addresses/subnets ("loopback", "10.0.0.0/8"). Unset = the socket's address.
  TRUST_PROXY: optionalString,
  // The corpus store (versions, audit). Several instances share one file; default <DATA_DIR>/corpus.sqlite.
  CORPUS_DB: optionalString,
  // How often an instance checks the corpus store for changes made elsewhere (another instance, the CLI); 0 = never.
  CORPUS_SYNC_MS: z.coerce.number().int().min(0).default(2000),
  // Full index builds run in a child process (the event loop keeps serving) once the corpus has this
  // many documents; smaller ones build in process at start-up. Builds while serving always go to the child.
  INDEX_BUILD_CHILD_MIN_DOCS: z.coerce.number().int().min(0).default(300),
  // Recent retrieval results kept per index version, for questions asked again in the same words; 0 = off.
  RETRIEVAL_CACHE_SIZE: z.coerce.number().int().min(0).max(100_000).default(1024),
  // `serve`: the heap may grow this many percent past what the last full collection kept (V8's own
  // policy allows up to 300 %, which at 100k chunks is ~180 MB of garbage held); 0 = V8's policy.
  HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(400).default(25),
  // `serve`: processes serving the port together (node's cluster; README "Performance and scaling out").
  // Each holds its own index in memory, so memory grows with them; 1 = one process, no cluster.
  WORKERS: z.coerce.number().int().min(1).max(64).default(1),
});

/** "https://host[:port]" exactly, as a browser sends it in the Origin header. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '').toLowerCase();
  } catch {
    return false;
  }
}

export type Config = z.infer<typeof ConfigSchema> & {
  /** Absolute paths derived from the relative settings. */
  dataDir: string;
  knowledgeDir: string;
  /** True when a language model endpoint is configured (key and/or base URL). */
  llmEnabled: boolean;
  /** Where this process keeps its own index: a worker of `serve` with WORKERS > 1 keeps one per worker (default dataDir). */
  instanceDir?: string;
};

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    ...c,
    dataDir: path.resolve(REPO_ROOT, c.DATA_DIR),
    knowledgeDir: path.resolve(REPO_ROOT, c.KNOWLEDGE_DIR),
    llmEnabled: Boolean(c.OPENAI_API_KEY || c.OPENAI_BASE_URL),
  };
}

/** The corpus store file: CORPUS_DB (shared by several instances), or corpus.sqlite in the data folder. */
export function corpusDbPath(config: { dataDir: string; CORPUS_DB?: string }): string {
  return config.CORPUS_DB ? path.resolve(REPO_ROOT, config.CORPUS_DB) : path.join(config.dataDir, 'corpus.sqlite');
}
