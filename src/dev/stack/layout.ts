import path from 'node:path';
import type { StocklineConfig } from '../../config/schema.js';

/** Where each part of the local stack keeps its files, all under stack.home (gitignored). */
export interface StackLayout {
  home: string;
  runtime: string;
  lib: string;
  plugins: string;
  runtimeStamp: string;
  conf: string;
  logs: string;
  run: string;
  data: string;
  secretsFile: string;
  pom: string;
}

export function stackLayout(config: StocklineConfig, projectRoot = process.cwd()): StackLayout {
  const home = path.resolve(projectRoot, config.stack.home);
  const runtime = path.join(home, 'runtime');
  return {
    home,
    runtime,
    lib: path.join(runtime, 'lib'),
    plugins: path.join(runtime, 'plugins'),
    runtimeStamp: path.join(runtime, 'fetched-from.sha256'),
    conf: path.join(home, 'conf'),
    logs: path.join(home, 'logs'),
    run: path.join(home, 'run'),
    data: path.join(home, 'data'),
    secretsFile: path.join(home, 'secrets.env'),
    pom: path.resolve(projectRoot, 'connectors/runtime/pom.xml'),
  };
}
