import type { CompiledMapping } from './compile.js';

/** A topic that stockline itself writes, which no mapping may read. */
export interface ReservedTopic {
  topic: string;
  /** What it is, for the message: "the canonical topic (mapper.canonicalTopic)". */
  what: string;
}

export interface TopicProblem {
  mapping: CompiledMapping;
  /** Where in the mapping file: "/source/topic", "/source/topics/1", "/source/topicPattern". */
  path: string;
  message: string;
}

function inputPaths(mapping: CompiledMapping): { path: string; matches: (topic: string) => boolean }[] {
  const source = mapping.spec.source;
  const paths: { path: string; matches: (topic: string) => boolean }[] = [];
  if (source.topic !== undefined) paths.push({ path: '/source/topic', matches: (t) => t === source.topic });
  source.topics?.forEach((name, i) =>
    paths.push({ path: `/source/topics/${i}`, matches: (t) => t === name }),
  );
  if (mapping.topicPattern) {
    const pattern = mapping.topicPattern;
    paths.push({
      path: '/source/topicPattern',
      matches: (t) => new RegExp(pattern.source, pattern.flags).test(t),
    });
  }
  return paths;
}

/**
 * A mapping that reads a topic stockline writes (canonical, dead letters, stock) would feed
 * the pipeline its own output, in a loop: refused.
 */
export function reservedTopicProblems(
  mappings: CompiledMapping[],
  reserved: ReservedTopic[],
): TopicProblem[] {
  const problems: TopicProblem[] = [];
  for (const mapping of mappings)
    for (const { path, matches } of inputPaths(mapping))
      for (const r of reserved)
        if (matches(r.topic))
          problems.push({
            mapping,
            path,
            message: `reads ${r.topic}, ${r.what}, which stockline writes itself; a mapping reads raw topics only`,
          });
  return problems;
}

const emitsMovements = (m: CompiledMapping) => m.spec.emit.some((e) => e.type === 'movement');

/**
 * Two enabled mappings that emit movements from the same topic both map every record they
 * accept: unless their filters exclude each other, each change is counted twice. Filters can
 * be disjoint on purpose (one mapping per movement type of one table), which a loader cannot
 * prove either way, so this is a warning, not an error.
 */
export function sharedTopicWarnings(mappings: CompiledMapping[]): TopicProblem[] {
  const movers = mappings.filter((m) => m.enabled && emitsMovements(m));
  const warnings: TopicProblem[] = [];
  movers.forEach((mapping, i) => {
    for (const other of movers.slice(0, i)) {
      const shared = new Set<string>();
      for (const t of mapping.topics) if (other.matchesTopic(t)) shared.add(t);
      for (const t of other.topics) if (mapping.matchesTopic(t)) shared.add(t);
      // Two patterns: only identical ones are known to overlap.
      if (mapping.topicPattern && mapping.topicPattern.source === other.topicPattern?.source)
        shared.add(`/${mapping.topicPattern.source}/`);
      if (shared.size === 0) continue;
      const path =
        inputPaths(mapping).find((p) => [...shared].some((t) => p.matches(t)))?.path ??
        (mapping.topicPattern ? '/source/topicPattern' : '/source');
      warnings.push({
        mapping,
        path,
        message: `emits movements from ${[...shared].join(', ')} like mapping "${other.name}" (${other.file}): a record both accept is counted twice unless their filters exclude each other`,
      });
    }
  });
  return warnings;
}
