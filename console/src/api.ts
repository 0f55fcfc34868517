// The public API, as the console calls it: same origin (`/v1/…`), with the operator's token
// held by the caller in memory only. Every answer is read as the contract's envelope.

export interface Envelope {
  code?: number;
  resource?: string;
  message?: string;
  errors?: unknown;
  data?: unknown;
  // The 401 of §1 has its own shape.
  status?: number;
  error?: string;
}

export interface Answer {
  status: number;
  body: Envelope;
  /** The `Link: <…>; rel="next"` target's `cursor`, when there is a next page. */
  nextCursor: string | null;
}

/** An answer that is not a success: its status and the envelope's sentence. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly sentence: string,
  ) {
    super(sentence);
  }
}

/** What an error envelope says, in one sentence for a person. */
export function sentenceOf(status: number, body: Envelope): string {
  if (typeof body.errors === 'string') return body.errors;
  if (Array.isArray(body.errors)) return body.errors.map(String).join('; ');
  if (body.errors && typeof body.errors === 'object') {
    return Object.entries(body.errors as Record<string, unknown>)
      .map(([key, value]) => `${key}: ${String(value)}`)
      .join('; ');
  }
  if (typeof body.error === 'string') return body.error;
  if (typeof body.message === 'string') return `${body.message} (${status})`;
  return `The API answered ${status}`;
}

function cursorOf(link: string | null): string | null {
  const target = link?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
  if (!target) return null;
  return new URL(target, window.location.origin).searchParams.get('cursor');
}

export class Api {
  constructor(
    readonly company: string,
    private readonly token: string,
  ) {}

  get base(): string {
    return `/v1/companies/${encodeURIComponent(this.company)}`;
  }

  /** Sends a request; a status outside 2xx throws an `ApiError` with the envelope's sentence. */
  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          'content-type': 'application/json',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'The API could not be reached: check the connection and try again');
    }
    let envelope: Envelope = {};
    try {
      envelope = (await response.json()) as Envelope;
    } catch {
      envelope = { message: response.statusText };
    }
    if (!response.ok) throw new ApiError(response.status, sentenceOf(response.status, envelope));
    return {
      status: response.status,
      body: envelope,
      nextCursor: cursorOf(response.headers.get('link')),
    };
  }
}
