import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError } from '../errors.js';
import { loadConfig } from './load.js';

const shipped = readFileSync(path.resolve('config/default.yaml'), 'utf8');

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'stockline-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function loadError(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig({ dir: dirWith(files), environment: 'test', env });
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected the config to be refused');
}

describe('config loader', () => {
  it('loads the shipped defaults and freezes them', () => {
    const config = loadConfig({ dir: path.resolve('config'), environment: 'development', env: {} });
    expect(config.kafka.brokers).to.deep.equal(['127.0.0.1:19092']);
    expect(config.stack.postgres.port).to.equal(15432);
    expect(Object.isFrozen(config.stack.kafka)).to.equal(true);
  });

  it('lets the environment file and then environment variables override defaults', () => {
    const dir = dirWith({ 'default.yaml': shipped, 'test.yaml': 'stack:\n  kafka:\n    port: 29092\n' });
    const config = loadConfig({
      dir,
      environment: 'test',
      env: { STOCKLINE__KAFKA__BROKERS: 'a:1, b:2', STOCKLINE__STACK__CONNECT__HEAPMB: '2048' },
    });
    expect(config.stack.kafka.port).to.equal(29092);
    expect(config.kafka.brokers).to.deep.equal(['a:1', 'b:2']);
    expect(config.stack.connect.heapMb).to.equal(2048);
  });

  it('reads a value from a secret file named by a _FILE variable', () => {
    const dir = dirWith({ 'default.yaml': shipped, 'url.txt': 'http://connect.example:8083\n' });
    const config = loadConfig({
      dir,
      environment: 'x',
      env: { STOCKLINE__CONNECT__URL_FILE: path.join(dir, 'url.txt') },
    });
    expect(config.connect.url).to.equal('http://connect.example:8083');
  });

  it('names the key, file, line and column and what is expected for a value of the wrong type', () => {
    const error = loadError({
      'default.yaml': shipped,
      'test.yaml': 'stack:\n  kafka:\n    port: "nineteen"\n',
    });
    expect(error.message).to.match(
      /stack\.kafka\.port must be integer \(set at .*test\.yaml:3:5\); got "nineteen"/,
    );
  });

  it('reports every problem at once, unknown keys with the keys it expected', () => {
    const error = loadError({
      'default.yaml': shipped,
      'test.yaml': 'kafak:\n  brokers: []\nstack:\n  mariadb:\n    port: 70000\n',
    });
    expect(error.message).to.contain('2 problems');
    expect(error.message).to.match(
      /unknown key "kafak" \(set at .*test\.yaml:1:1\); expected one of: log, kafka, connect, stockDb, mapper, materializer, api, sap, mq, jobs, stack/,
    );
    expect(error.message).to.match(/stack\.mariadb\.port must be <= 65535 \(set at .*test\.yaml:5:5\)/);
  });

  it('names the environment variable that set a bad value, and refuses unknown variables', () => {
    const error = loadError(
      { 'default.yaml': shipped },
      { STOCKLINE__CONNECT__URL: 'ftp://x', STOCKLINE__NOPE: '1' },
    );
    expect(error.message).to.contain('connect.url must match pattern');
    expect(error.message).to.contain('environment variable STOCKLINE__CONNECT__URL');
    expect(error.message).to.contain('environment variable STOCKLINE__NOPE: no config key matches it');
  });

  it('points at the line of a YAML syntax error', () => {
    const error = loadError({ 'default.yaml': shipped, 'test.yaml': 'log:\n  level: [info\n' });
    expect(error.message).to.match(/test\.yaml:\d+:\d+: not valid YAML/);
    expect(error.context.line).to.be.a('number');
  });

  it('reports every YAML syntax error of a file at once, each at its own line and column', () => {
    const error = loadError({
      'default.yaml': shipped,
      'test.yaml': 'log:\n  level: info\napi:\n  host: [a\nstack: }\n',
    });
    const problems = error.context.problems as string[];
    expect(problems.length).to.be.greaterThan(1);
    expect(problems.every((p) => /test\.yaml:\d+:\d+: not valid YAML: /.test(p))).to.equal(true);
    expect(problems.some((p) => /test\.yaml:1:1:/.test(p))).to.equal(false);
    expect(problems.map((p) => /test\.yaml:(\d+:\d+):/.exec(p)?.[1])).to.deep.equal(['5:1', '5:8']);
    expect(error.context.line).to.equal(5);
  });

  it('refuses a YAML alias bomb with a clear error naming the file', () => {
    const bomb = [
      'x: &a [l, l, l, l, l, l, l, l, l]',
      'y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'w: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      '',
    ].join('\n');
    const error = loadError({ 'default.yaml': shipped, 'test.yaml': bomb });
    expect(error.message).to.match(/test\.yaml:1:1: not valid YAML: its aliases .*"billion laughs"/);
  });

  it('never echoes the text of a broken YAML line, which may hold a secret', () => {
    const error = loadError({
      'default.yaml': shipped,
      'test.yaml': 'stockDb:\n}hunter2\n',
    });
    expect(error.message).to.match(/test\.yaml:\d+:\d+: not valid YAML/);
    expect(error.message).not.to.contain('hunter2');
  });
});
