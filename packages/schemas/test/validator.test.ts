import { describe, expect, it } from 'vitest';
import { createSchemaValidator, SCHEMA_BASE, SchemaUnavailable } from '../src/index.js';

describe('@marac/schemas', () => {
  const v = createSchemaValidator();

  it('loads the repository schemas by their $id', () => {
    expect(v.has('research-response')).toBe(true);
    expect(v.has('decline')).toBe(true);
    expect([...v.documents().keys()].every((id) => id.startsWith(SCHEMA_BASE))).toBe(true);
  });

  it('reports every problem, pointing at the property itself', () => {
    const problems = v.validate('decline', { unexpected: 1 });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.code === 'additionalProperties' && p.path === '/unexpected')).toBe(true);
  });

  it('refuses prototype-reaching keys before the schema runs', () => {
    expect(v.validate('decline', JSON.parse('{"__proto__": {"x": 1}}'))).toEqual([
      { path: '/__proto__', code: 'FORBIDDEN_KEY', message: 'key "__proto__" is not allowed' },
    ]);
  });

  it('fails closed on a schema that is not there', () => {
    expect(() => v.validate('no-such-thing', {})).toThrow(SchemaUnavailable);
  });
});
