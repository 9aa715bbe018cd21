import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Public } from '../http/auth';
import { Problem } from '../http/problem';

/**
 * Where `vite build` put the console: `dist/console`, seen from the compiled controller
 * (dist/apps/api/src/console) or from its TypeScript source under ts-jest (apps/api/src/console).
 */
const CONSOLE_DIRECTORIES = [join(__dirname, '../../../../console'), join(__dirname, '../../../../dist/console')];

/** Hashed file names that Vite emits: nothing else is read from disk, so no path can escape. */
const ASSET_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|svg|png|woff2)$/;

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * Scripts, styles and requests only from this origin; no inline script or style, no plug-in,
 * no framing, and forms post nowhere else. `data:` images only for the browser's own icons.
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/**
 * The web console (apps/console), served by the API it drives: `index.html` for every page of
 * the single-page app (revalidated at each load, so a deployment takes effect at once) and the
 * content-hashed assets cached for a year.
 */
@ApiExcludeController()
@Public()
@Controller('console')
export class ConsoleController {
  private readonly directory = CONSOLE_DIRECTORIES.find((candidate) => existsSync(join(candidate, 'index.html')));

  @Get()
  index(@Res() reply: FastifyReply) {
    return this.page(reply);
  }

  @Get('assets/:name')
  async asset(@Param('name') name: string, @Res() reply: FastifyReply) {
    const type = CONTENT_TYPES[extname(name)];
    if (!this.directory || !ASSET_NAME.test(name) || !type) throw new Problem('not-found', 'No such console asset.');
    const body = await readFile(join(this.directory, 'assets', name)).catch(() => null);
    if (!body) throw new Problem('not-found', 'No such console asset.');
    return reply.headers({ ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'public, max-age=31536000, immutable' }).send(body);
  }

  /** The app's own routes (`/console/tokens`, `/console/callback`, ...) all load the same page. */
  @Get('*')
  route(@Res() reply: FastifyReply) {
    return this.page(reply);
  }

  private async page(reply: FastifyReply) {
    if (!this.directory) throw new Problem('not-found', 'The console is not built: run `npm run build`.');
    const html = await readFile(join(this.directory, 'index.html'));
    return reply.headers({ ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }).send(html);
  }
}
