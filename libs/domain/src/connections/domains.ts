/**
 * Where a connection's credential may be sent: host names (`api.slack.com`) or wildcards over a
 * domain's subdomains (`*.myshopify.com`, which matches `acme.myshopify.com` and deeper, but not
 * `myshopify.com` itself). Compared in lower case, without a trailing dot.
 */
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST = `${LABEL}(?:\\.${LABEL})+`;

/** A host name of at least two labels; a wildcard must leave at least two labels after `*.`. */
export const DOMAIN_PATTERN = new RegExp(`^(?:\\*\\.)?${HOST}$`);
export const HOST_PATTERN = new RegExp(`^${HOST}$`);

export const MAX_ALLOWED_DOMAINS = 20;

export const normalizeDomain = (domain: string): string => domain.trim().toLowerCase().replace(/\.$/, '');

export const isValidDomainPattern = (domain: string): boolean => {
  const normalized = normalizeDomain(domain);
  return normalized.length <= 253 && DOMAIN_PATTERN.test(normalized);
};

export const isValidHost = (host: string): boolean => {
  const normalized = normalizeDomain(host);
  return normalized.length <= 253 && HOST_PATTERN.test(normalized);
};

export const isDomainAllowed = (allowedDomains: readonly string[], target: string): boolean => {
  const host = normalizeDomain(target);
  if (!isValidHost(host)) return false;
  return allowedDomains.map(normalizeDomain).some((allowed) =>
    allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) && host.length > allowed.length - 1 : host === allowed,
  );
};
