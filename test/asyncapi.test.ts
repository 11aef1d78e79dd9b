import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { toKafkaMessage } from '../src/canonical/cloudevents-kafka.js';
import { CANONICAL_TOPIC, DEAD_LETTER_TOPIC, MOVEMENT } from '../src/canonical/event.js';
import { loadConfig } from '../src/config/load.js';

interface AsyncApi {
  channels: Record<string, { address: string }>;
  components: {
    schemas: { cloudEventsHeaders: { required: string[] } };
    messages: Record<string, { payload?: { $ref: string } }>;
  };
}

describe('AsyncAPI document (docs/asyncapi.yaml)', () => {
  const doc = parse(readFileSync('docs/asyncapi.yaml', 'utf8')) as AsyncApi;

  it('describes the topics the service writes by default', () => {
    const config = loadConfig({ env: {} });
    const addresses = Object.values(doc.channels).map((c) => c.address);
    expect(addresses).to.include.members([
      config.mapper.canonicalTopic,
      config.mapper.deadLetterTopic,
      CANONICAL_TOPIC,
      DEAD_LETTER_TOPIC,
    ]);
  });

  it('promises only headers every canonical message carries, and the published data schema', () => {
    const message = toKafkaMessage({
      id: 'x',
      source: '/s',
      type: MOVEMENT,
      time: '2026-01-01T00:00:00Z',
      subject: 'a@b',
      data: {} as never,
    });
    for (const header of doc.components.schemas.cloudEventsHeaders.required)
      expect(message.headers).to.have.property(header);
    expect(doc.components.messages.movement!.payload!.$ref).to.equal(
      '../schemas/inventory-event-data.v1.json',
    );
  });
});
