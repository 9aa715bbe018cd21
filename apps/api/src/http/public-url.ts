import { KeyholdConfig } from '@keyhold/platform';

/**
 * The URL clients reach this service at. Never taken from the request (a Host header is the
 * client's to choose): PUBLIC_URL, which serveHttp defaults to the listening address before
 * the first request, and which production mode requires.
 */
export const publicBaseUrl = (config: KeyholdConfig): string => config.PUBLIC_URL!.replace(/\/+$/, '');
