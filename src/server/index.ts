export { createApp, type AppOptions } from './app.js';
export { ChatRequestSchema, describeZodError } from './schemas.js';
