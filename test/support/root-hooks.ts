// Loaded by mocha before any test file (.mocharc.json): tests read config/test.yaml.
process.env.STOCKLINE_ENV ??= 'test';
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
