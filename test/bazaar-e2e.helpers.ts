import { DataSource } from 'typeorm';

import { data } from '../clients/typescript/src';
import { answer, gatewayClient } from './support/gateway-client';
import type { Schemas } from '../clients/typescript/src';
import type { RunningGateway, RunningSandbox } from './support/stack';

type BrowseRequest = Schemas['BrowseRequestDto'];

/** Valid Bazaar user/course fields for a course; override per test. */
export function bazaarUser(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    city: 'Helsinki',
    city_id: '091',
    context_id: 'course-21',
    context_title: 'Äidinkieli 7A',
    email: 'tiina.opettaja@koulu.example.fi',
    first_name: 'Tiina',
    last_name: 'Öhman',
    role: 'teacher',
    school: 'Kallion yhtenäiskoulu',
    school_id: '00913',
    user_id: 'teacher-1',
    ...overrides,
  };
}

export interface StoreForm {
  uid: string;
  action: string;
  params: string;
}

export interface StorePage {
  html: string;
  forms: StoreForm[];
  cancelUrl?: string;
}

const unescapeHtml = (value: string) =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Fetches a store page like a browser and reads its forms (the Bazaar spec's hidden `params` form) and cancel link. */
export async function openStore(browseUrl: string): Promise<StorePage> {
  const res = await fetch(browseUrl);
  expect(res.status).toBe(200);
  const html = await res.text();
  const forms = [
    ...html.matchAll(
      /<form action="([^"]+)" method="POST" data-uid="([^"]+)">\s*<input type="hidden" name="params" value="([^"]+)">/g,
    ),
  ].map(([, action, uid, params]) => ({ action: unescapeHtml(action), params, uid: unescapeHtml(uid) }));
  const cancel = /<a id="cancel" href="([^"]+)"/.exec(html);
  return { cancelUrl: cancel ? unescapeHtml(cancel[1]) : undefined, forms, html };
}

/** Submits a form the way a browser does (urlencoded), without following the redirect. */
export function postForm(action: string, fields: Record<string, string>): Promise<Response> {
  return fetch(action, {
    body: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    method: 'POST',
    redirect: 'manual',
  });
}

/** POST /api/v1/bazaar/browse through the typed client; `body` may break the rules on purpose (refusal tests). */
export function browse(gateway: Pick<RunningGateway, 'url'>, token: string, body: Record<string, unknown>) {
  return answer(gatewayClient(gateway, token).POST('/api/v1/bazaar/browse', { body: body as BrowseRequest }));
}

/** A fresh browse session: its store page and the gateway's callback URLs carrying the state. */
export async function newSession(
  gateway: RunningGateway,
  sandbox: RunningSandbox,
  token: string,
  user: Record<string, unknown> = bazaarUser(),
): Promise<StorePage & { returnUrl: string; addUrl: string }> {
  const returnUrl = `${sandbox.url}/demo?course=${encodeURIComponent(String(user.context_id))}`;
  const res = await browse(gateway, token, { ...user, return_url: returnUrl });
  expect(res.status).toBe(200);
  const store = await openStore(res.body.browse_url);
  return { ...store, addUrl: store.forms[0].action, returnUrl };
}

export async function materialsOf(gateway: RunningGateway, token: string, contextId: string) {
  const list = await data(
    gatewayClient(gateway, token).GET('/api/v1/contexts/{context_id}/materials', {
      params: { path: { context_id: contextId } },
    }),
  );
  return list.materials as unknown as Array<Record<string, unknown>>;
}

export function dataSourceOf(gateway: RunningGateway): DataSource {
  return gateway.app.get(DataSource);
}

export const base64Json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

export const expectErrorShape = (json: unknown, status: number, code: string) => {
  const body = json as Record<string, unknown>;
  expect(body).toMatchObject({ code, statusCode: status });
  expect(typeof body.message).toBe('string');
  expect(typeof body.request_id).toBe('string');
};
