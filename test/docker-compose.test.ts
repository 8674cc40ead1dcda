import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repositoryRoot } from '@greencart/platform';

/**
 * No Docker engine runs here, so the compose file is checked as text: the services, what they
 * publish, wait for and are told, against docs/operations.md and the processes' own ports.
 */
interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  ports?: string[];
  restart?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
}

const compose = YAML.parse(readFileSync(join(repositoryRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const readme = readFileSync(join(repositoryRoot, 'docs', 'operations.md'), 'utf8');
const services = compose.services;
const greencart = { accounts: 4001, orders: 4002, products: 4003, gateway: 4000 } as const;

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, the three subgraphs and the gateway', () => {
    expect(Object.keys(services).sort()).toEqual(['accounts', 'gateway', 'orders', 'postgres', 'products']);
  });

  it('publishes only the gateway port', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.ports ?? [], name).toEqual(name === 'gateway' ? ['4000:4000'] : []);
    }
  });

  it('gives every service a health check and a restart policy', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
      if (name !== 'postgres') expect(service.restart, name).toBe('unless-stopped');
    }
  });

  it('starts each process on its port, checks its /ready, and waits for what it needs', () => {
    for (const [name, port] of Object.entries(greencart)) {
      const service = services[name]!;
      expect(service.build, name).toBeDefined();
      // The image's compiled entry point (`npm run build`): node alone, no tsx.
      expect(service.command, name).toEqual(['node', name === 'gateway' ? 'gateway/dist/index.js' : `subgraphs/${name}/dist/index.js`]);
      expect(service.environment?.PORT, name).toBe(String(port));
      expect(service.healthcheck?.test.join(' '), name).toContain(`127.0.0.1:${port}/ready`);
      expect(service.depends_on?.postgres?.condition ?? 'via subgraphs', name).toMatch(/service_healthy|via subgraphs/);
    }
    for (const subgraph of ['accounts', 'orders', 'products']) expect(services.gateway!.depends_on?.[subgraph]?.condition).toBe('service_healthy');
  });

  it('points the services at each other by service name', () => {
    expect(services.gateway!.environment).toMatchObject({ ACCOUNTS_URL: 'http://accounts:4001', ORDERS_URL: 'http://orders:4002', PRODUCTS_URL: 'http://products:4003' });
    expect(services.orders!.environment).toMatchObject({ PRODUCTS_URL: 'http://products:4003', ACCOUNTS_URL: 'http://accounts:4001' });
    for (const name of ['gateway', 'orders', 'products']) expect(services[name]!.environment?.JWKS_URL, name).toBe('http://accounts:4001/.well-known/jwks.json');
    for (const name of Object.keys(greencart)) expect(services[name]!.environment?.DATABASE_URL ?? '', name).toMatch(name === 'gateway' ? /.*/ : /@postgres:5432\//);
  });

  it('sets only variables that docs/operations.md documents', () => {
    const documented = new Set([...readme.matchAll(/^\| `([A-Z_]+)`(?:, `([A-Z_]+)`)?(?:, `([A-Z_]+)`)?/gm)].flatMap((match) => match.slice(1).filter(Boolean)));
    for (const [name, service] of Object.entries(greencart).map(([name]) => [name, services[name]!] as const)) {
      for (const variable of Object.keys(service.environment ?? {})) expect(documented.has(variable), `${name}: ${variable} is not in the environment table of docs/operations.md`).toBe(true);
    }
  });
});
