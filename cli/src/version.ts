/**
 * `provenance --version`: the CLI's package version, the SDK's, and the versions of the
 * protocol's formats the SDK reads and writes (record, bundle, receipt, batch chain), taken
 * from the SDK's own constants.
 */
import { existsSync, readFileSync } from "node:fs";

function packageVersion(url: URL): string {
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

/** The CLI's version (cli/package.json). */
export function cliVersion(): string {
  return packageVersion(new URL("../package.json", import.meta.url));
}

/** The SDK's version: the nearest package.json above its entry point (the workspace's src/ or the published package). */
function sdkVersion(): string {
  let dir = new URL(".", import.meta.resolve("@provenance/client-sdk"));
  for (let i = 0; i < 4; i++) {
    const file = new URL("package.json", dir);
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@provenance/client-sdk" && pkg.version) return pkg.version;
    }
    dir = new URL("..", dir);
  }
  return "unknown";
}

export interface VersionInfo {
  cli: string;
  sdk: string;
  protocol: { record: number; bundle: number[]; receipt: string[]; batchChain: string };
}

export async function versionInfo(): Promise<VersionInfo> {
  const sdk = await import("@provenance/client-sdk");
  return {
    cli: cliVersion(),
    sdk: sdkVersion(),
    protocol: { record: sdk.RECORD_VERSION, bundle: [sdk.BUNDLE_VERSION, sdk.BUNDLE_VERSION_ACCUMULATOR], receipt: [sdk.RECEIPT_DOMAIN, sdk.RECEIPT_DOMAIN_V2], batchChain: sdk.CHAIN_DOMAIN },
  };
}

export function versionText(v: VersionInfo): string {
  return `provenance ${v.cli} (@provenance/cli; @provenance/client-sdk ${v.sdk})\nprotocol: record v${v.protocol.record}, bundle v${v.protocol.bundle.join(" and v")}, receipts ${v.protocol.receipt.join(" and ")}, batch chain ${v.protocol.batchChain}\n`;
}
