// The server folder's door: one express app and one HTTP server for every channel.
export { createApp, HttpError, PUBLIC_DIR, type AppOptions, type ServiceRef } from './app.js';
export { createServer, startMentorServer, turnReporter, type MentorServer, type ServerOptions } from './server.js';
export { cors, parseOrigins, type CorsOptions } from './cors.js';
export { limitHeapGrowth } from './memory.js';
export { createMetrics, type MentorMetrics } from './metrics.js';
export { MODEL_ID } from './openai_api.js';
export { ChatRequestSchema, describeZodError } from './schemas.js';
