import type { Router } from 'express';
import { METHODS } from 'node:http';

interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/**
 * The methods Express has routes for at `path` (GET implies HEAD). Read from the router only when a request found
 * no route, to tell a wrong method (405) from a wrong path (404).
 */
export function allowedMethods(router: Pick<Router, 'stack'> | undefined, path: string): string[] {
  const methods = new Set<string>();
  for (const layer of (router?.stack ?? []) as unknown as RouteLayer[]) {
    if (!layer.route || !layer.match(path)) continue;
    // A route for every method (Nest's catch-all not-found handler) says nothing about this path.
    if (Object.keys(layer.route.methods).length >= METHODS.length) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) if (on) methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  methods.delete('_ALL');
  return [...methods].sort();
}
