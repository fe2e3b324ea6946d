import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import type { Response } from 'express';

import { isHttpUrl } from './bazaar-arguments.validator';
import { SANDBOX_CATALOG, findMaterial } from './bazaar-catalog';
import { BazaarLinkStore } from './bazaar-link.store';

const escape = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '"': '&quot;', '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;' })[c] as string,
  );

const page = (title: string, body: string) =>
  `<!doctype html><html lang="fi"><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;max-width:50rem;margin:2rem auto}.material{border:1px solid #ccc;padding:1rem;margin:1rem 0}</style>
<body><header><strong>Bazaar (sandbox)</strong></header><h1>${escape(title)}</h1>${body}</body></html>`;

/** The browser side of Bazaar: the store behind browse_url and the CMS behind view_url. */
@Controller('bazaar')
export class BazaarPagesController {
  constructor(private readonly links: BazaarLinkStore) {}

  /**
   * Picking a material submits the Bazaar spec's form: `params` = base64 JSON, POSTed by the browser to the LMS
   * add_resource_callback_url.
   */
  @Get('store/:token')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  store(@Param('token') token: string, @Res({ passthrough: true }) res: Response): string {
    const link = this.links.take('browse', token);
    if (!link) return expired(res);
    const { add_resource_callback_url: addUrl, cancel_url: cancelUrl, context_title: course } = link.args;
    const cards = SANDBOX_CATALOG.map((material) => {
      const params = Buffer.from(JSON.stringify(material), 'utf8').toString('base64');
      const pick =
        typeof addUrl === 'string' && isHttpUrl(addUrl)
          ? `<form action="${escape(addUrl)}" method="POST" data-uid="${escape(material.uid)}">
<input type="hidden" name="params" value="${params}"><button type="submit">Add to course</button></form>`
          : '<p>(no add_resource_callback_url was given)</p>';
      return `<div class="material" data-uid="${escape(material.uid)}"><h2>${escape(material.name)}</h2>
<p>${escape(material.description ?? '')}</p>${pick}</div>`;
    }).join('\n');
    const cancel =
      typeof cancelUrl === 'string' && isHttpUrl(cancelUrl)
        ? `<p><a id="cancel" href="${escape(cancelUrl)}">Cancel and go back to the course</a></p>`
        : '';
    return page(`Pick material for ${String(course ?? 'your course')}`, `${cards}\n${cancel}`);
  }

  /** Plays the CMS the view URL forwards to: shows the material and who opens it. */
  @Get('view/:token')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  view(@Param('token') token: string, @Res({ passthrough: true }) res: Response): string {
    const link = this.links.take('view', token);
    if (!link) return expired(res);
    const { first_name, last_name, role, resource_uid, return_url } = link.args;
    const material = findMaterial(String(resource_uid));
    const back =
      typeof return_url === 'string' && isHttpUrl(return_url)
        ? `<p><a id="back" href="${escape(return_url)}">Back to the course</a></p>`
        : '';
    return page(
      material?.name ?? String(resource_uid),
      `<p id="viewer">Opened by ${escape(first_name)} ${escape(last_name)} (${escape(role)})</p>
<p id="uid">${escape(resource_uid)}</p><article>${escape(material?.description ?? '')}</article>${back}`,
    );
  }
}

function expired(res: Response): string {
  res.status(410);
  return page('Link expired', '<p>This Bazaar link has expired or was already used. Links work once, for 60 s.</p>');
}
