import { describe, expect, it } from 'vitest';
import { isConnectionBroken, isDatabaseUnavailable } from './db-errors.js';

const err = (message: string, fields: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), fields);

describe('database error classification', () => {
  it.each([
    ['connection refused', err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })],
    ['reset', err('read ECONNRESET', { code: 'ECONNRESET' })],
    ['terminated', err('Connection terminated unexpectedly')],
    ['connect timeout (client)', err('Connection terminated due to connection timeout')],
    ['pool wait timeout', err('timeout exceeded when trying to connect')],
    ['read timeout', err('Query read timeout')],
    ['dead client', err('Client has encountered a connection error and is not queryable')],
    ['admin shutdown', err('terminating connection due to administrator command', { code: '57P01' })],
    ['starting up', err('the database system is starting up', { code: '57P03' })],
    ['too many connections', err('sorry, too many clients already', { code: '53300' })],
    ['connection exception class', err('connection failure', { code: '08006' })],
    ['statement timeout', err('canceling statement due to statement timeout', { code: '57014' })],
    ['lock timeout', err('canceling statement due to lock timeout', { code: '55P03' })],
    ['sqlite busy', err('database is locked', { code: 'SQLITE_BUSY' })],
    ['sqlite busy snapshot', err('database is locked', { code: 'SQLITE_BUSY_SNAPSHOT' })],
    ['sqlite locked', err('database table is locked', { code: 'SQLITE_LOCKED' })],
    ['sqlite i/o', err('disk I/O error', { code: 'SQLITE_IOERR_WRITE' })],
    ['sqlite full', err('database or disk is full', { code: 'SQLITE_FULL' })],
    [
      'localhost, both addresses refused',
      new AggregateError([err('a', { code: 'ECONNREFUSED' }), err('b', { code: 'ECONNREFUSED' })]),
    ],
    ['wrapped', err('outer', { cause: err('x', { code: 'ECONNREFUSED' }) })],
  ])('%s is unavailable (503)', (_, e) => {
    expect(isDatabaseUnavailable(e)).toBe(true);
  });

  it.each([
    ['unique violation', err('duplicate key', { code: '23505' })],
    ['foreign key', err('violates foreign key', { code: '23503' })],
    ['syntax', err('syntax error', { code: '42601' })],
    ['sqlite constraint', err('UNIQUE constraint failed', { code: 'SQLITE_CONSTRAINT_UNIQUE' })],
    ['sqlite read-only (a bug: writing through the reader)', err('readonly', { code: 'SQLITE_READONLY' })],
    ['a bug', new TypeError('x is undefined')],
    ['not an error', 'ECONNREFUSED'],
    ['null', null],
  ])('%s is not', (_, e) => {
    expect(isDatabaseUnavailable(e)).toBe(false);
  });

  it('drops a pooled connection only when the connection broke, not when a statement was cancelled', () => {
    expect(isConnectionBroken(err('Query read timeout'))).toBe(true);
    expect(isConnectionBroken(err('x', { code: 'ECONNRESET' }))).toBe(true);
    expect(isConnectionBroken(err('canceling statement', { code: '57014' }))).toBe(false);
    expect(isConnectionBroken(err('duplicate key', { code: '23505' }))).toBe(false);
  });
});
