// The shape of src/, measured and enforced (`npm run structure`; `npm run lint` runs it with
// --check): which folder imports which, the arrows that run from a lower layer to a higher one,
// the import cycles between folders, and the longest files. Imports are read with TypeScript's
// own pre-processor, so `import type`, re-exports and `await import()` all count.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..', 'src');

/**
 * Layers, lowest first. A folder may import its own layer's folders and lower ones; an import
 * of a higher layer is an upward arrow. `dev/` (local stack, simulator, demo) sits above the
 * product: the product never imports it; the entry point (src/main.ts, DEV_ENTRY) sits above
 * both and adds the development commands to the command line.
 */
const LAYERS: string[][] = [
  ['errors.ts', 'errors', 'shared'],
  ['config', 'canonical', 'observability'],
  ['kafka', 'mq', 'sap', 'stock', 'sources', 'connectors', 'service'],
  ['mapping'],
  ['mapper', 'materializer', 'api', 'reconcile', 'replicator', 'capture'],
  ['roles'],
  ['cli'],
  ['dev'],
  ['main.ts'],
];
/** Folders that were development tools before they moved under dev/ (the "before" figures). */
const DEV_FOLDERS = new Set(['dev', 'stack', 'simulator', 'demo']);
const DEV_ENTRY = 'main.ts';
/** Kafka client libraries, and the kafka/ modules that make up its port (the rest are adapters). */
const KAFKA_LIBRARIES = new Set(['kafkajs', 'node-rdkafka']);
const KAFKA_PORT_MODULES = new Set([
  'kafka/port.ts',
  'kafka/batch-consumer.ts',
  'kafka/clients.ts',
  'kafka/topic-settings.ts',
  'kafka/consumer-lag.ts',
  'kafka/lag-metrics.ts',
]);

const rankOf = (unit: string): number => {
  if (DEV_FOLDERS.has(unit)) return LAYERS.findIndex((layer) => layer.includes('dev'));
  const i = LAYERS.findIndex((layer) => layer.includes(unit));
  return i < 0 ? -1 : i;
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The top-level unit of a file: its folder under src/, or the file itself at the root. */
const unitOf = (file: string): string => relative(root, file).split('/')[0]!;
/** The folder used for cycles: one level deeper under dev/, so that dev's parts show. */
const folderOf = (file: string): string => {
  const parts = relative(root, file).split('/');
  if (parts.length === 1) return parts[0]!;
  return parts[0] === 'dev' && parts.length > 2 ? `dev/${parts[1]}` : parts[0]!;
};

interface Arrow {
  from: string;
  to: string;
}

export function measure(): {
  arrows: Arrow[];
  upward: Arrow[];
  intoDev: Arrow[];
  aroundKafkaPort: Arrow[];
  cycles: string[][];
  longest: { file: string; lines: number }[];
  files: number;
} {
  const files = sourceFiles(root);
  const arrows: Arrow[] = [];
  const aroundKafkaPort: Arrow[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    const outsideKafka = unitOf(file) !== 'kafka';
    for (const { fileName } of importedFiles) {
      if (outsideKafka && KAFKA_LIBRARIES.has(fileName))
        aroundKafkaPort.push({ from: relative(root, file), to: fileName });
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName.replace(/\.js$/, '.ts'));
      if (!target.startsWith(root)) continue;
      arrows.push({ from: relative(root, file), to: relative(root, target) });
      const to = relative(root, target);
      if (outsideKafka && to.startsWith('kafka/') && !KAFKA_PORT_MODULES.has(to))
        aroundKafkaPort.push({ from: relative(root, file), to });
    }
  }
  const crossing = arrows.filter((a) => unitOf(join(root, a.from)) !== unitOf(join(root, a.to)));
  const upward = crossing.filter((a) => {
    const from = rankOf(unitOf(join(root, a.from)));
    const to = rankOf(unitOf(join(root, a.to)));
    return from < 0 || to < 0 || to > from;
  });
  const intoDev = crossing.filter(
    (a) =>
      DEV_FOLDERS.has(unitOf(join(root, a.to))) &&
      !DEV_FOLDERS.has(unitOf(join(root, a.from))) &&
      a.from !== DEV_ENTRY,
  );

  // Folder graph, then its strongly connected components (Tarjan).
  const graph = new Map<string, Set<string>>();
  for (const a of arrows) {
    const from = folderOf(join(root, a.from));
    const to = folderOf(join(root, a.to));
    if (from === to) continue;
    if (!graph.has(from)) graph.set(from, new Set());
    graph.get(from)!.add(to);
  }
  const cycles: string[][] = [];
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const connect = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) connect(v);

  const longest = files
    .map((file) => ({ file: relative(root, file), lines: readFileSync(file, 'utf8').split('\n').length }))
    .sort((a, b) => b.lines - a.lines)
    .slice(0, 8);
  return { arrows: crossing, upward, intoDev, aroundKafkaPort, cycles, longest, files: files.length };
}

const show = (a: Arrow) => `  ${a.from} -> ${a.to}`;

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const check = process.argv.includes('--check');
  const m = measure();
  console.log(`src/: ${m.files} modules, ${m.arrows.length} imports between folders`);
  console.log(`upward imports (a lower layer importing a higher one): ${m.upward.length}`);
  for (const a of m.upward) console.log(show(a));
  console.log(`product imports of development tools: ${m.intoDev.length}`);
  for (const a of m.intoDev) console.log(show(a));
  console.log(
    `imports around the Kafka port (a client library or an adapter, outside kafka/): ${m.aroundKafkaPort.length}`,
  );
  for (const a of m.aroundKafkaPort) console.log(show(a));
  console.log(`folder cycles: ${m.cycles.length}`);
  for (const c of m.cycles) console.log(`  ${c.join(' <-> ')}`);
  console.log('longest modules:');
  for (const f of m.longest) console.log(`  ${String(f.lines).padStart(5)}  ${f.file}`);
  if (
    check &&
    (m.upward.length > 0 || m.intoDev.length > 0 || m.aroundKafkaPort.length > 0 || m.cycles.length > 0)
  ) {
    console.error(
      'structure check failed: see the layers in scripts/structure.ts and src/README.md (where a change goes)',
    );
    process.exit(1);
  }
}
