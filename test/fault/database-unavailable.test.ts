import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../gateway/src/store/db.js';

/** What a database outage looks like to the gateway: each of these answers 503, anything else stays a 500. */
describe('isDatabaseUnavailable', () => {
  it.each([
    ['server shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['server starting up (57P03)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['connection failure (08006)', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['too many connections (53300)', Object.assign(new Error('sorry, too many clients already'), { code: '53300' })],
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['cut mid-query', new Error('Connection terminated unexpectedly')],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['broken client reused', new Error('Client has encountered a connection error and is not queryable')],
    ['refused on every address', new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' }), Object.assign(new Error('b'), { code: 'ECONNREFUSED' })])],
  ])('%s → unavailable', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['unique violation (23505)', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['syntax error (42601)', Object.assign(new Error('syntax error'), { code: '42601' })],
    ['serialization failure (40001)', Object.assign(new Error('could not serialize'), { code: '40001' })],
    ['a plain bug', new TypeError('x is undefined')],
    ['mixed aggregate', new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' }), new Error('b')])],
    ['not an error', 'Connection terminated'],
    ['nothing', undefined],
  ])('%s → not unavailable', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});
