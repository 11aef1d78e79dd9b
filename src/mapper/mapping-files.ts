import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  loadMappings,
  type LoadedMappings,
  type LoadMappingsOptions,
  type MappingSources,
} from '../mapping/load.js';
import { UsageError } from '../errors.js';
import { displayPath } from '../shared/display-path.js';
import { reservedTopicsOf, type MapperSections } from './options.js';

const isMapping = (f: string) => /\.ya?ml$/.test(f) && !/\.test\.ya?ml$/.test(f);
const isTest = (f: string) => /\.test\.ya?ml$/.test(f);

/** Reads a mappings folder: *.yaml mappings, *.test.yaml tests, lookups/*.csv|yaml. */
export function readMappingSources(dir: string): MappingSources {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`mappings folder ${dir} does not exist`);
  const files = readdirSync(dir).sort();
  const read = (names: string[], folder: string) =>
    names.map((f) => ({
      path: displayPath(path.join(folder, f)),
      text: readFileSync(path.join(folder, f), 'utf8'),
    }));
  const lookupDir = path.join(dir, 'lookups');
  const lookupNames = existsSync(lookupDir)
    ? readdirSync(lookupDir)
        .filter((f) => /\.(csv|ya?ml)$/.test(f))
        .sort()
    : [];
  return {
    mappingFiles: read(files.filter(isMapping), dir),
    testFiles: read(files.filter(isTest), dir),
    lookupFiles: read(lookupNames, lookupDir),
    readRelative: (fromFile, ref) => {
      const target = path.resolve(path.dirname(path.resolve(fromFile)), ref);
      return existsSync(target) ? readFileSync(target) : undefined;
    },
  };
}

export function readMappings(
  dir: string,
  options: LoadMappingsOptions = {},
): LoadedMappings & { sources: MappingSources } {
  const sources = readMappingSources(dir);
  return { ...loadMappings(sources, options), sources };
}

/** The topics stockline writes under this configuration, which no mapping may read. */
export function reservedTopics(config: Readonly<MapperSections>): LoadMappingsOptions {
  return { reservedTopics: reservedTopicsOf(config) };
}
