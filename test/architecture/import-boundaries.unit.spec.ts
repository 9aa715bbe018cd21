import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The arrows point one way (docs/architecture.md): the composition root (apps/keyhold) may
 * import every app; apps/api and apps/worker meet only through libs; libs never import apps;
 * the domain and the application layer import no framework (they are what every edge calls).
 */
const ROOT = resolve(__dirname, '..', '..');

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** Every module a source text names, relative ones resolved against its own folder. */
export const importsOf = (file: string, text: string): string[] =>
  [...text.matchAll(SPECIFIER)].map(([, specifier]) => (specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), specifier)) : specifier));

const AREA = /^(apps\/[^/]+|libs\/[^/]+)\//;
const areaOf = (path: string) => AREA.exec(`${path}/`)?.[1] ?? null;

type Rule = { from: RegExp; forbidden: RegExp; why: string };
const RULES: Rule[] = [
  { from: /^apps\/api$/, forbidden: /^apps\/(?!api$)/, why: 'apps/api reaches other apps only through libs' },
  { from: /^apps\/worker$/, forbidden: /^apps\/(?!worker$)/, why: 'apps/worker reaches other apps only through libs' },
  { from: /^libs\//, forbidden: /^apps\//, why: 'libs never import apps' },
];
const FRAMEWORK_FREE = /^libs\/(domain|application)$/;
const FRAMEWORK = /^(@nestjs\/|fastify$|@fastify\/)/;

export const violationsIn = (file: string, text: string): string[] => {
  const from = areaOf(file);
  if (!from) return [];
  return importsOf(file, text).flatMap((target) => {
    const to = areaOf(target);
    const broken = RULES.filter((rule) => rule.from.test(from) && to !== null && rule.forbidden.test(to)).map((rule) => `${file} imports ${target}: ${rule.why}`);
    if (FRAMEWORK_FREE.test(from) && FRAMEWORK.test(target)) broken.push(`${file} imports ${target}: ${from} is framework-free`);
    return broken;
  });
};

describe('import boundaries', () => {
  it('notices a forbidden import when there is one (the check can fail)', () => {
    expect(violationsIn('apps/api/src/x.ts', "import { WorkerModule } from '../../worker/src/worker.module';")).toHaveLength(1);
    expect(violationsIn('apps/worker/src/x.ts', "const app = require('../../api/src/app');")).toHaveLength(1);
    expect(violationsIn('libs/platform/src/x.ts', "import { ApiModule } from '../../../apps/api/src/api.module';")).toHaveLength(1);
    expect(violationsIn('libs/domain/src/x.ts', "import { Injectable } from '@nestjs/common';")).toHaveLength(1);
    expect(violationsIn('libs/application/src/x.ts', "import { CommandHandler } from '@nestjs/cqrs';")).toHaveLength(1);
    expect(violationsIn('libs/application/src/x.ts', "import { FastifyReply } from 'fastify';")).toHaveLength(1);
    expect(violationsIn('libs/application/src/x.ts', "import { Problem } from '../../../apps/api/src/http/problem';")).toHaveLength(1);
    expect(violationsIn('apps/keyhold/src/x.ts', "import { WorkerModule } from '../../worker/src/worker.module';")).toEqual([]);
  });

  it('holds across apps/ and libs/', () => {
    const files = [...sourceFiles('apps'), ...sourceFiles('libs')];
    expect(files.length).toBeGreaterThan(100);
    const violations = files.flatMap((file) => violationsIn(file, readFileSync(join(ROOT, file), 'utf8')));
    expect(violations).toEqual([]);
  });
});
