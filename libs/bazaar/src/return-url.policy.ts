/** The return URL with the callback's outcome added to its query (existing parameters are kept). */
export function withOutcome(returnUrl: string, outcome: Record<string, string | number>): string {
  const url = new URL(returnUrl);
  for (const [key, value] of Object.entries(outcome)) url.searchParams.set(key, String(value));
  return url.toString();
}
