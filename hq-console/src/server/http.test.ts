import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConsoleError } from '../auth/errors.js';
import { decodePath, requestUrl } from './http.js';

const req = (url: string) => ({ url }) as IncomingMessage;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof ConsoleError ? err.code : 'other';
  }
};

describe('requestUrl', () => {
  it('takes a path and its query', () => {
    const url = requestUrl(req('/api/alerts?limit=5'));
    expect([url.pathname, url.searchParams.get('limit')]).toEqual(['/api/alerts', '5']);
    expect(requestUrl(req('/api/alerts/%E0%A4%A8')).pathname).toBe('/api/alerts/%E0%A4%A8');
  });

  it.each(['/api/alerts/%E0%A4%A', '/%', '/api/%ZZ', '/a/%C0%AF'])(
    'refuses broken percent-encoding in %s (INPUT_INVALID)',
    (path) => {
      expect(codeOf(() => requestUrl(req(path)))).toBe('INPUT_INVALID');
    },
  );

  it('refuses a target that is not a path (INPUT_INVALID)', () => {
    expect(codeOf(() => requestUrl(req('http://[')))).toBe('INPUT_INVALID');
  });
});

describe('decodePath', () => {
  it('decodes Indian scripts and refuses broken encoding', () => {
    expect(decodePath('%E0%A4%A8')).toBe('न');
    expect(codeOf(() => decodePath('%E0%A4'))).toBe('INPUT_INVALID');
  });
});
