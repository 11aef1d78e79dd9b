import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { expect } from 'chai';
import { headerText, UnidentifiableChange, type SourceFormat } from '../sources/format.js';
import { SOURCE_FORMATS } from '../sources/formats.js';
import { compileMapping } from './compile.js';
import { MappingFileError } from './errors.js';
import type { MappingFile } from './format.js';
import { loadMappings, type MappingSources } from './load.js';
import { Lookups } from './lookups.js';
import { runMappingTest } from './test-runner.js';

/**
 * A format plugged in by this test only, shaped like the MQ replicator's records to come: the
 * body as it was on the queue, the MQ descriptor in Kafka headers, the change identified by
 * queue manager, queue and message id, ordered by the record timestamp. It has an options block
 * of its own, to show that the mapping schema takes it from the format.
 */
const mqLike: SourceFormat = {
  name: 'mq-test',
  description: 'a message body with the MQ descriptor as headers',
  identity: { by: 'record', from: 'the MQ descriptor' },
  options: {
    key: 'descriptor',
    schema: Type.Object({ msgIdHeader: Type.String() }, { additionalProperties: false }),
  },
  prepare(mapping) {
    const options = mapping.source.descriptor as { msgIdHeader: string } | undefined;
    const msgIdHeader = options?.msgIdHeader ?? 'mq.msgId';
    return {
      problems: [],
      reader: {
        read(record) {
          if (record.value === null) return { skip: 'tombstone' };
          const headers = headerText(record.headers);
          return {
            values: { body: record.value.toString('utf8'), headers, topic: record.topic },
            identify() {
              const [qmgr, queue, msgId] = [headers['mq.qmgr'], headers['mq.queue'], headers[msgIdHeader]];
              if (!qmgr || !queue || !msgId)
                throw new UnidentifiableChange('the MQ descriptor headers are missing');
              return {
                system: qmgr,
                entity: queue,
                change: `msg:${msgId}`,
                // Mapping tests give no record timestamp: then the message id orders, for this test.
                sequence: record.timestamp ?? msgId,
                snapshot: false,
              };
            },
          };
        },
      },
    };
  },
};
const withMq = SOURCE_FORMATS.with(mqLike);

const plants = { path: 'lookups/plants.csv', text: 'WERKS,location\n1000,DC01\n' };
const sources = (text: string): MappingSources => ({
  mappingFiles: [{ path: 'mappings/mq.yaml', text }],
  testFiles: [],
  lookupFiles: [plants],
  readRelative: () => undefined,
});

const mqMapping = `name: mq
source:
  topic: mq.WH.MOVES
  format: mq-test
  descriptor: { msgIdHeader: mq.msgId }
emit:
  - type: movement
    sku: \${$split(body, ';')[0]}
    location: DC01
    quantity: \${$split(body, ';')[1]}
    unit: EA
    reason: receipt
    occurredAt: "2026-11-20T08:15:02Z"
tests:
  - name: a message is identified by its descriptor
    input:
      value: "4711;5"
      headers: { mq.qmgr: QM1, mq.queue: WH.MOVES, mq.msgId: 414d5120514d31 }
    expect:
      - { type: movement, sku: "4711", quantity: "5", system: QM1, position: "msg:414d5120514d31" }
`;

function problems(text: string, formats = SOURCE_FORMATS): string {
  try {
    loadMappings(sources(text), { formats });
  } catch (e) {
    expect(e).to.be.instanceOf(MappingFileError);
    return (e as Error).message;
  }
  throw new Error('expected the mapping to be refused');
}

describe('source formats in mappings', () => {
  it('an unknown format is refused naming the mapping file, the line and the field', () => {
    expect(problems(mqMapping)).to.match(
      /mappings\/mq\.yaml:4:\d+: source\.format must be one of debezium-json, json, fixed-width; got "mq-test"/,
    );
    const spec = { name: 'm', source: { topic: 't', format: 'avro' }, emit: [] } as unknown as MappingFile;
    const compiled = compileMapping(spec, 'mappings/m.yaml', { lookups: new Lookups([]) });
    expect(compiled.mapping).to.equal(undefined);
    expect(compiled.problems).to.deep.include({
      path: '/source/format',
      message: 'unknown format "avro"; formats: debezium-json, json, fixed-width',
    });
  });

  it('a format plugged in by a test is read, identified and tested by the unchanged compiler', async () => {
    const loaded = loadMappings(sources(mqMapping), { formats: withMq });
    const [mapping] = loaded.mappings;
    expect(mapping?.format).to.equal('mq-test');
    const result = await runMappingTest(loaded.tests[0]!, () => undefined, loaded.tests);
    expect(result.failure).to.equal(undefined);
    expect(result.passed).to.equal(true);

    const headers = { 'mq.qmgr': 'QM1', 'mq.queue': 'WH.MOVES', 'mq.msgId': 'aa01' };
    const input = {
      topic: 'mq.WH.MOVES',
      partition: 0,
      offset: '12',
      timestamp: '1763626502000',
      key: null,
      value: Buffer.from('4711;-2'),
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
    };
    const outcome = await mapping!.map(input);
    if (outcome.kind !== 'events') expect.fail(outcome.reason);
    expect(outcome.events[0]!.data.source).to.deep.equal({
      system: 'QM1',
      entity: 'WH.MOVES',
      position: 'msg:aa01',
      sequence: '1763626502000',
    });
    expect(outcome.events[0]!.source).to.equal('/stockline/QM1/WH.MOVES');
    const again = await mapping!.map({ ...input, offset: '13' });
    expect(again.kind === 'events' && again.events[0]!.id).to.equal(outcome.events[0]!.id);

    const { 'mq.msgId': _, ...noMsgId } = input.headers;
    await mapping!.map({ ...input, headers: noMsgId }).then(
      () => expect.fail('expected a mapping error'),
      (e: Error) => {
        expect(e.message).to.equal('the change cannot be identified: the MQ descriptor headers are missing');
        expect(e).to.have.nested.property('context.field', 'source');
      },
    );
  });

  it("a format's options are validated by its schema, and refused under another format", () => {
    const wrongOption = mqMapping.replace('msgIdHeader: mq.msgId', 'msgIdHeader: 7');
    expect(problems(wrongOption, withMq)).to.match(
      /mq\.yaml:5:\d+: source\.descriptor\.msgIdHeader must be string/,
    );
    const asJson = mqMapping.replace('format: mq-test', 'format: json\n  position: ${body}');
    expect(problems(asJson, withMq)).to.contain(
      'mappings/mq.yaml:6:3: source.descriptor: descriptor applies to mq-test; format json does not take it',
    );
  });

  it('the identity keys a format does not take are refused, naming the formats that take them', () => {
    const refused = problems(
      mqMapping.replace('format: mq-test', 'format: mq-test\n  position: ${body}\n  identity: row') +
        'ops: [c]\n',
      withMq,
    );
    expect(refused).to.contain(
      'source: mq-test takes its position from the MQ descriptor; remove "position"',
    );
    expect(refused).to.contain(
      'source.identity: identity applies to debezium-json; format mq-test takes its identity from the MQ descriptor',
    );
    expect(refused).to.contain('ops: ops apply to debezium-json only');
  });

  it('the mapping compiler, loader and test runner name no source format', () => {
    for (const file of ['compile.ts', 'load.ts', 'source-keys.ts', 'test-runner.ts']) {
      const text = readFileSync(new URL(file, import.meta.url), 'utf8');
      for (const name of SOURCE_FORMATS.names)
        expect(text, `${file} names ${name}`).to.not.contain(`'${name}'`);
    }
  });
});
