/** Host names, without any other import (the CLI loads this before anything heavy). Browser-safe. */

/**
 * Whether a URL's hostname (as `URL.hostname` gives it, IPv6 in brackets or not) is this
 * machine: `localhost`, 127.0.0.0/8 or ::1. An RPC there is a local chain; a secret sent there
 * never crosses a network.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
