/** Polls `probe` until it answers something other than undefined. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * What the browser does on the sandbox player: open the launch URL, then submit the form with a button. The
 * sandbox then posts the result to the registration's postback URL, as SCORM Cloud does.
 */
export async function playInSandbox(launchUrl: string, action: 'complete' | 'pass' | 'fail', score?: number) {
  let response = await fetch(launchUrl, { redirect: 'manual' });
  if (response.status === 302) response = await fetch(new URL(response.headers.get('location') ?? '', launchUrl));
  if (response.status !== 200) throw new Error(`the player answered ${response.status}`);
  const page = await response.text();
  const form = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  if (!form) throw new Error('the player page has no result form');
  const result = await fetch(new URL(form, response.url), {
    body: new URLSearchParams({ action, score: score === undefined ? '' : String(score) }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    method: 'POST',
  });
  if (result.status !== 201) throw new Error(`the player's result post answered ${result.status}`);
  return { page, result: await result.text() };
}
