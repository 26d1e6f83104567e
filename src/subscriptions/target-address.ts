import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { TargetRefusedError } from './errors.js';

/**
 * Addresses a subscription may not reach unless private targets are allowed: a webhook URL
 * is user input, and without this a key with the `admin` scope could make Sluice POST into
 * the network it runs in (cloud metadata at 169.254.169.254, databases, admin ports).
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** Is `address` (an IP literal) loopback, private, link-local or otherwise not a public host? */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) {
    // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is that IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped !== null) return PRIVATE.check(mapped[1]!, 'ipv4');
    return PRIVATE.check(address, 'ipv6');
  }
  return true;
}

/** The host of a URL without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Resolves the URL's host and refuses it when any address it resolves to is private (checked
 * at creation; deliveries check again as they connect, see `guardedLookup`, since DNS may change).
 */
export async function checkTarget(urlText: string, options: { allowPrivate: boolean; resolve?: (host: string) => Promise<string[]> }): Promise<void> {
  if (options.allowPrivate) return;
  const host = hostOf(new URL(urlText));
  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    const resolve = options.resolve ?? (async (h: string) => (await dnsLookupAsync(h, { all: true })).map((a) => a.address));
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new TargetRefusedError(`cannot resolve ${host} (${(error as Error).message.split('\n')[0]}); use a host name that resolves`);
    }
  }
  const refused = addresses.find(isPrivateAddress);
  if (refused !== undefined) throw new TargetRefusedError(privateMessage(host, refused));
}

function privateMessage(host: string, address: string): string {
  const shown = host === address ? address : `${host} (${address})`;
  return `${shown} is a loopback, private or link-local address; deliveries go to public hosts only (set SLUICE_SUBSCRIPTION_PRIVATE_TARGETS=allow to permit them)`;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `http.request` that refuses private addresses at connection time, so a
 * host whose DNS changes after the subscription was checked is still refused. (An IP
 * literal in the URL never reaches a lookup: `checkTargetLiteral` covers it.)
 */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...(options as LookupAllOptions), all: true }, (error, addresses) => {
    if (error !== null) return callback(error, []);
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused !== undefined) return callback(Object.assign(new TargetRefusedError(privateMessage(hostname, refused.address)), { code: 'ETARGETREFUSED' }), []);
    if ((options as { all?: boolean }).all === true) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
}

/** Refuses a URL whose host is a private IP literal (http.request does no lookup for those). */
export function checkTargetLiteral(url: URL): void {
  const host = hostOf(url);
  if (isIP(host) !== 0 && isPrivateAddress(host)) throw new TargetRefusedError(privateMessage(host, host));
}
