import { DomainError, ValidationFailedError } from '@app/common';
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where the gateway may send events (no SSRF into the network it runs in). In production an endpoint is https and
 * every address its host resolves to is public; outside production loopback and private addresses are allowed (the
 * sandbox, a receiver on the developer's machine). The check runs when a subscription is saved and again at each
 * delivery, on the address actually connected to (see `pinnedLookup`), so a DNS answer that changes between the two
 * (rebinding) is caught.
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** True for an address on the public internet (not loopback, private, link-local, shared, reserved or multicast). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NON_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPublicAddress(mapped[1]);
  return !NON_PUBLIC.check(address, 'ipv6');
}

/** An endpoint the gateway refused to connect to: its host resolved to an address the rules forbid. */
export class EndpointAddressBlockedError extends DomainError {
  constructor(host: string, address: string) {
    super(
      'EVENT_ENDPOINT_ADDRESS_BLOCKED',
      `${host} resolves to ${address}, which is not a public address (refused in production)`,
      'bad_request',
    );
  }
}

export interface EndpointRules {
  /** Production: https only, public addresses only. */
  production: boolean;
}

const rule = (message: string) =>
  new ValidationFailedError(message, { url: [message] }, 'EVENT_SUBSCRIPTION_URL_REFUSED');

/**
 * Checks a subscription URL before it is stored; throws a 400 naming `url` and the rule broken. Resolves the host
 * in production (a name that resolves nowhere, or to a non-public address, is refused).
 */
export async function assertAllowedEndpoint(value: string, rules: EndpointRules): Promise<URL> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw rule('url must be an absolute http(s) URL (rule: isUrl)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw rule('url must be an http(s) URL (rule: isUrl)');
  if (url.username || url.password) {
    throw rule('url must not carry credentials; the signature authenticates deliveries (rule: noCredentials)');
  }
  if (url.hash) throw rule('url must not have a #fragment (rule: noFragment)');
  if (!rules.production) return url;
  if (url.protocol !== 'https:') throw rule('url must use https:// in production (rule: https)');
  const host = hostOf(url);
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    throw rule(`url's host ${host} does not resolve (rule: resolvable)`);
  }
  const blocked = addresses.find((address) => !isPublicAddress(address));
  if (blocked) {
    throw rule(`url's host ${host} resolves to ${blocked}, not a public address (rule: publicAddress)`);
  }
  return url;
}

/** The URL's host without IPv6 brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

/**
 * A `lookup` for the delivery agents: resolves, checks every address against the rules and hands net.connect only
 * checked addresses, so the request goes to the address that was checked (no second resolution to rebind).
 */
export function pinnedLookup(rules: EndpointRules) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, verbatim: true }).then(
      (answers) => {
        const blocked = rules.production ? answers.find((a) => !isPublicAddress(a.address)) : undefined;
        if (blocked) {
          const error = new EndpointAddressBlockedError(hostname, blocked.address) as unknown as NodeJS.ErrnoException;
          callback(error, '');
          return;
        }
        const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 ? 6 : 0;
        const usable = answers.filter((a) => !wanted || a.family === wanted);
        if (!usable.length) {
          const error = Object.assign(new Error(`${hostname} has no usable address`), { code: 'ENOTFOUND' });
          callback(error, '');
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/** For an IP literal in the URL (net.connect does not look those up): the same rule, checked directly. */
export function assertLiteralAllowed(url: URL, rules: EndpointRules): void {
  const host = hostOf(url);
  if (rules.production && isIP(host) && !isPublicAddress(host)) throw new EndpointAddressBlockedError(host, host);
}
