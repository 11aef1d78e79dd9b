#!/usr/bin/env node
// In a checkout the TypeScript sources run through tsx, so there is no stale build to forget;
// the service image has no src/ and runs the compiled dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/main.js', import.meta.url).href);
}
