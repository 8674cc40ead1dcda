import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryManifest } from '@greencart/platform';
import { fillPlaceholders, subgraphNamesFor, templateRoot } from '../lib/subgraph-scaffold.js';

const filesUnder = (folder: string): string[] => readdirSync(folder).flatMap((entry) => (statSync(join(folder, entry)).isDirectory() ? filesUnder(join(folder, entry)) : [join(folder, entry)]));

describe('npm run new-subgraph: names and templates', () => {
  const names = subgraphNamesFor('gift-wrap', repositoryManifest());

  it('names a subgraph as the manifest names the others, on the ports after the highest', () => {
    expect(names).toEqual({
      name: 'gift-wrap',
      pascalName: 'GiftWrap',
      camelName: 'giftWrap',
      environmentName: 'GIFT_WRAP',
      database: 'greencart_gift_wrap',
      port: 4005,
      metricsPort: 9405,
      issuer: 'accounts',
      issuerPort: 4001,
    });
  });

  it('fills a placeholder that runs into the text after it', () => {
    expect(fillPlaceholders("__NAME___DATABASE_NAME: databaseName('__database__')", names)).toBe("GIFT_WRAP_DATABASE_NAME: databaseName('greencart_gift_wrap')");
  });

  it('leaves no placeholder unfilled in any template file or path', () => {
    const unfilled = filesUnder(templateRoot)
      .map((file) => relative(templateRoot, file))
      .filter((file) => file !== 'README.md')
      .flatMap((file) =>
        [...`${fillPlaceholders(file, names)}\n${fillPlaceholders(readFileSync(join(templateRoot, file), 'utf8'), names)}`.matchAll(/__[A-Za-z]+__/g)].map((match) => `${file}: ${match[0]}`),
      );
    expect(unfilled).toEqual([]);
  });
});
