import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import * as prettier from 'prettier';
import { generatedFiles } from '../scripts/generated-files.js';

const files = await generatedFiles();

describe('generated files', () => {
  for (const [file, text] of Object.entries(files)) {
    it(`${file} is up to date with its schema in code (npm run gen:schemas)`, async () => {
      const formatted = await prettier.format(text, {
        ...(await prettier.resolveConfig(file)),
        filepath: file,
      });
      expect(readFileSync(file, 'utf8')).to.equal(formatted);
    });
  }
});
