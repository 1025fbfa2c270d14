import type { NextFunction, Request, RequestHandler, Response } from 'express';

export interface CorsOptions {
  /** CORS_ORIGINS: undefined = no cross-origin access; '*' = any origin; else a comma list of origins. */
  origins: string | undefined;
  allowHeaders: string;
  exposeHeaders?: string;
  methods: string;
}

/** The allowed origins of a CORS_ORIGINS value, or '*'. */
export function parseOrigins(value: string | undefined): Set<string> | '*' {
  if (value?.trim() === '*') return '*';
  return new Set((value ?? '').split(',').map((o) => o.trim().replace(/\/$/, '').toLowerCase()).filter(Boolean));
}

/**
 * Cross-origin access for browser clients on other sites: off unless CORS_ORIGINS names the origin.
 * None of these APIs uses cookies, so credentials are never allowed. A preflight is always answered
 * here (204), with the CORS headers only for an allowed origin, so the browser decides.
 */
export function cors(options: CorsOptions): RequestHandler {
  const allowed = parseOrigins(options.origins);
  const allows = (origin: string) => allowed === '*' || allowed.has(origin.toLowerCase());
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    if (!origin) {
      next();
      return;
    }
    const ok = allows(origin);
    if (ok) {
      res.set('access-control-allow-origin', allowed === '*' ? '*' : origin);
      if (options.exposeHeaders) res.set('access-control-expose-headers', options.exposeHeaders);
    }
    if (allowed !== '*') res.vary('origin');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      if (ok) res.set({ 'access-control-allow-methods': options.methods, 'access-control-allow-headers': options.allowHeaders, 'access-control-max-age': '600' });
      res.status(204).end();
      return;
    }
    next();
  };
}
