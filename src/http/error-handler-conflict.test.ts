import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { CONFLICT_MESSAGE, installErrorHandling } from './error-handler.js';
import type { App } from './types.js';

/** The safety net of ADR 13: a lost race no use case mapped is a 409, never a 500. */
describe('error handler and database conflicts', () => {
  const appThrowing = (err: unknown) => {
    const app = Fastify() as unknown as App;
    installErrorHandling(app);
    app.get('/x', async () => {
      throw err;
    });
    return app;
  };
  const dbError = (code: string) => Object.assign(new Error(`db error ${code}`), { code });

  it('answers 409 in the error shape for unique and foreign-key violations, deadlocks, serialization failures', async () => {
    for (const code of [
      '23505',
      '23503',
      '40P01',
      '40001',
      'SQLITE_CONSTRAINT_UNIQUE',
      'SQLITE_CONSTRAINT_FOREIGNKEY',
    ]) {
      const res = await appThrowing(dbError(code)).inject({ method: 'GET', url: '/x' });
      expect([code, res.statusCode]).toEqual([code, 409]);
      expect(res.json()).toEqual({ error: CONFLICT_MESSAGE, request_id: expect.any(String) });
      expect(res.body).not.toContain(code);
    }
  });

  it('keeps any other unexpected error a generic 500', async () => {
    const res = await appThrowing(dbError('XX000')).inject({ method: 'GET', url: '/x' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal error', request_id: expect.any(String) });
  });
});
