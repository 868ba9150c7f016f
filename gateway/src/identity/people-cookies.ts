/**
 * The two cookies of people log-in: the session cookie and a short-lived cookie that binds a log-in
 * in progress to the browser that started it. Both HttpOnly, SameSite=Lax (the provider's redirect
 * back is a top-level GET, which Lax allows), Path=/, Secure when configured. No Max-Age on the
 * session cookie: it ends with the browser, and the server enforces the time-outs anyway.
 */

export interface CookieSettings {
  sessionName: string;
  loginName: string;
  secure: boolean;
}

export interface CookieOptions {
  secure: boolean;
  maxAgeSeconds?: number;
}

/** Values are base64url tokens; anything else in a cookie we own is treated as absent. */
const TOKEN = /^[A-Za-z0-9_-]{20,200}$/;

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    // Two cookies with our name (e.g. one planted on a parent domain): trust neither.
    if (found !== undefined) return undefined;
    found = part.slice(eq + 1).trim();
  }
  return found !== undefined && TOKEN.test(found) ? found : undefined;
}

export function serializeCookie(name: string, value: string, opts: CookieOptions): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (opts.secure) parts.push('Secure');
  if (opts.maxAgeSeconds !== undefined) parts.push(`Max-Age=${opts.maxAgeSeconds}`);
  return parts.join('; ');
}

export function clearCookie(name: string, secure: boolean): string {
  return serializeCookie(name, '', { secure, maxAgeSeconds: 0 });
}
