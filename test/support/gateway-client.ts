import {
  type ApiError,
  type GatewayClient,
  type Schemas,
  createGatewayClient,
  data,
} from '../../clients/typescript/src';

/**
 * The LMS's own typed client (clients/typescript, generated from the OpenAPI document) against a test gateway: the
 * e2e helpers call the REST API the way an LMS would, so a path, parameter or field the document gets wrong fails
 * to compile or fails here.
 */
export function gatewayClient(gateway: { url: string }, token: string): GatewayClient {
  return createGatewayClient({ baseUrl: gateway.url, token });
}

/**
 * An answer as a test looks at it: the status, the headers (lower-case names) and the body, typed as the success
 * body and the error body at once: a test checks the status first.
 */
export interface Answer<T> {
  status: number;
  headers: Record<string, string>;
  body: T & ApiError;
}

export async function answer<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<Answer<T>> {
  const { data: body, error, response } = await call;
  return {
    body: (response.ok ? body : error) as T & ApiError,
    headers: Object.fromEntries(response.headers),
    status: response.status,
  };
}

export type NewRegistration = Schemas['CreateRegistrationDto'];

export function createRegistration(gateway: { url: string }, token: string, body: NewRegistration) {
  return answer(gatewayClient(gateway, token).POST('/api/v1/scorm/registrations', { body }));
}

export function registrationOf(gateway: { url: string }, token: string, id: string, refresh = false) {
  return data(
    gatewayClient(gateway, token).GET('/api/v1/scorm/registrations/{id}', {
      params: { path: { id }, query: refresh ? { refresh: 'true' } : {} },
    }),
  );
}
