// The one fetch wrapper of the console: JSON in and out, the session cookie sent along (same
// origin), and every failure thrown as an ApiError carrying the server's `{ code, message }`.

/** A refused or failed request: the server's stable code and its message for the operator. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Codes that mean the session is gone: the operator must sign in again. */
export const SESSION_CODES = new Set(['SESSION_INVALID', 'SESSION_EXPIRED']);

let sessionLost: (err: ApiError) => void = () => undefined;

/** Registers what happens when any request finds the session gone (the sign-in page). */
export function onSessionLost(handler: (err: ApiError) => void): void {
  sessionLost = handler;
}

/** Calls the console's REST API; resolves with the JSON body or throws an ApiError. */
export async function api<T>(
  path: string,
  init: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; body?: unknown } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError('NETWORK', 'the console server cannot be reached', 0);
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy's HTML error page, for instance: reported below by status.
  }
  if (!res.ok) {
    const e = (body ?? {}) as { code?: unknown; message?: unknown };
    const err = new ApiError(
      typeof e.code === 'string' ? e.code : `HTTP_${res.status}`,
      typeof e.message === 'string' ? e.message : `${res.status} ${res.statusText}`.trim(),
      res.status,
    );
    if (SESSION_CODES.has(err.code) && path !== '/api/session') sessionLost(err);
    throw err;
  }
  return body as T;
}

/** The message to show for any thrown value. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
