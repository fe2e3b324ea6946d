import { Body, Controller, Get, Header, HttpException, Param, Post } from '@nestjs/common';

import { ScormSandboxPostbackSender } from './scorm-sandbox.postback';
import { ScormSandboxStore, SandboxLaunch, SandboxRegistration } from './scorm-sandbox.store';

/** Once opened, a player session may report results for this long. */
const SESSION_MS = 4 * 3600_000;

const html = (value: string) =>
  value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${html(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
button{margin:.25rem;padding:.5rem 1rem}.status{padding:.75rem;background:#eef6ee;border:1px solid #9c9}</style>
<body>${body}</body></html>`;
}

/** The sandbox SCORM player: what a launch link opens. Buttons stand in for the learner taking the course. */
@Controller('scorm/player')
export class ScormSandboxPlayerController {
  constructor(
    private readonly store: ScormSandboxStore,
    private readonly postbacks: ScormSandboxPostbackSender,
  ) {}

  @Get(':token')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  open(@Param('token') token: string): string {
    const { launch, registration } = this.session(token, true);
    const course = this.store.course(registration.appId, registration.courseId);
    const now = this.store.now();
    registration.firstAccess ??= now;
    registration.lastAccess = now;
    if (registration.completion === 'UNKNOWN') registration.completion = 'INCOMPLETE';
    launch.launchedAt = Date.now();
    return page(
      `${course?.title ?? registration.courseId} - SCORM Cloud sandbox player`,
      `<h1 id="sandbox-course-title">${html(course?.title ?? registration.courseId)}</h1>
<p>Learner: <span id="sandbox-learner">${html(`${registration.learner.firstName} ${registration.learner.lastName}`)}</span>
 · registration <code>${html(registration.id)}</code></p>
<p>This sandbox player stands in for the course. Finish it with one of the buttons.</p>
<form method="post" action="/scorm/player/${html(token)}/result">
  <label>Score (0-100) <input id="sandbox-score" data-testid="sandbox-score" name="score" type="number" min="0" max="100" value="85"></label><br>
  <button id="sandbox-complete" data-testid="sandbox-complete" name="action" value="complete" type="submit">Complete</button>
  <button id="sandbox-pass" data-testid="sandbox-pass" name="action" value="pass" type="submit">Pass</button>
  <button id="sandbox-fail" data-testid="sandbox-fail" name="action" value="fail" type="submit">Fail</button>
</form>`,
    );
  }

  @Post(':token/result')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async result(@Param('token') token: string, @Body() body: { action?: string; score?: string }): Promise<string> {
    const { launch, registration } = this.session(token, false);
    const action = body?.action;
    if (action !== 'complete' && action !== 'pass' && action !== 'fail') {
      throw new HttpException('action must be complete, pass or fail', 400);
    }
    const score = body.score === undefined || body.score === '' ? undefined : Number(body.score);
    if (score !== undefined && (!Number.isFinite(score) || score < 0 || score > 100)) {
      throw new HttpException('score must be a number from 0 to 100', 400);
    }
    const now = this.store.now();
    registration.completion = 'COMPLETED';
    registration.completedDate = now;
    registration.lastAccess = now;
    registration.firstAccess ??= now;
    registration.totalSeconds += Math.max(1, Math.round((Date.now() - launch.launchedAt) / 1000));
    if (action === 'pass') {
      registration.success = 'PASSED';
      registration.score = score ?? 100;
    } else if (action === 'fail') {
      registration.success = 'FAILED';
      registration.score = score ?? 0;
    } else if (score !== undefined) {
      registration.score = score;
    }
    registration.updated = now;
    const outcome = await this.postbacks.deliver(registration);
    const delivery = outcome.delivered
      ? `The LMS answered HTTP ${outcome.status}.`
      : `Delivery failed: ${outcome.status ? `HTTP ${outcome.status}` : (outcome.error ?? 'unknown error')}.`;
    // An empty redirectOnExitUrl means the account's setting, and closer, blank and message are keywords: no link.
    const back =
      launch.redirectUrl && /^https?:\/\//i.test(launch.redirectUrl)
        ? `<p><a id="sandbox-return" href="${html(launch.redirectUrl)}">Return to the LMS</a></p>`
        : '';
    return page(
      'Results sent',
      `<h1 id="sandbox-results-sent">Results sent</h1>
<p class="status" id="sandbox-result" data-delivered="${outcome.delivered}" data-status="${outcome.status ?? ''}">
${html(registration.completion)} · ${html(registration.success)} · score ${registration.score ?? 'unknown'}. ${html(delivery)}</p>${back}`,
    );
  }

  private session(token: string, opening: boolean): { launch: SandboxLaunch; registration: SandboxRegistration } {
    const launch = this.store.launches.get(token);
    const expired = !launch || (opening ? Date.now() > launch.expiresAt : Date.now() > launch.launchedAt + SESSION_MS);
    if (!launch || expired) throw new HttpException('This launch link is unknown or has expired', 404);
    const registration = this.store.registration(launch.appId, launch.registrationId);
    if (!registration) throw new HttpException('The registration no longer exists', 404);
    return { launch, registration };
  }
}
