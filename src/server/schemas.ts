import { z } from 'zod';
import { TurnError } from '../mentor/index.js';

export const ChatRequestSchema = z.strictObject({
  sessionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -').optional(),
  message: z.string().min(1, 'must not be empty'),
  lang: z.enum(['zh', 'en']).optional(),
});

export const VoteRequestSchema = z.strictObject({
  sessionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
  turnId: z.number().int().positive(),
  vote: z.enum(['up', 'down']),
});

/** A zod error as one line per field, fit to show to an API client. */
export function describeZodError(error: z.ZodError): { error: string; details: Array<{ field: string; message: string }> } {
  const details = error.issues.map((i) => ({ field: i.path.join('.') || (i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys?.join(', ') ?? '-' : '-'), message: i.message }));
  return { error: `invalid request: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details };
}

/** The checks the mentor makes on a message, made before a stream opens so a bad one still gets a 4xx. */
export function turnProblem(message: string, maxChars: number): TurnError | undefined {
  const text = message.trim();
  if (!text) return new TurnError('empty_message', 'message is empty');
  if ([...text].length > maxChars) return new TurnError('message_too_long', `message is longer than ${maxChars} characters`);
  return undefined;
}
