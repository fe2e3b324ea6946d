import 'reflect-metadata';

import { createSandboxApp, sandboxLogger } from './create-sandbox-app';
import { loadSandboxConfig } from './sandbox.config';

async function main(): Promise<void> {
  const config = loadSandboxConfig();
  const app = await createSandboxApp(config);
  await app.listen(config.port, config.host);
  sandboxLogger().log(`Sandbox (Bazaar, SCORM Cloud, demo LMS) listening on ${config.publicUrl}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`Sandbox failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
