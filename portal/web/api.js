// The portal's REST API as the pages use it: the session cookie goes by itself; state
// changes carry the session's CSRF token and a JSON body.
let csrfToken = '';

/** An answer other than 2xx: `status`, the API's error `code` and its `message`. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function setCsrfToken(token) {
  csrfToken = token ?? '';
}

/** Calls the API; resolves with the parsed JSON body (null when empty), throws ApiError.
 *  With `contentType`, `body` is text sent as it is (an uploaded file), not JSON. */
export async function call(method, path, body, { contentType } = {}) {
  const headers = { Accept: 'application/json' };
  const changes = method !== 'GET' && method !== 'HEAD';
  if (changes) {
    headers['Content-Type'] = contentType ?? 'application/json';
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  }
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: changes ? (contentType ? body : JSON.stringify(body ?? {})) : undefined,
    });
  } catch {
    throw new ApiError(0, 'network', '');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const retry = Number(response.headers.get('Retry-After'));
    throw new ApiError(response.status, data?.error?.code ?? '', data?.error?.message ?? '',
      Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  return data;
}

/** The signed-in session ({user, csrfToken, expiresAt}), or null when nobody is signed in. */
export async function currentSession() {
  try {
    const session = await call('GET', '/api/v1/auth/session');
    setCsrfToken(session.csrfToken);
    return session;
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

export async function signIn(username, password) {
  const session = await call('POST', '/api/v1/auth/login', { username, password });
  setCsrfToken(session.csrfToken);
  return session;
}

export async function signOut() {
  await call('POST', '/api/v1/auth/logout');
  setCsrfToken('');
}
