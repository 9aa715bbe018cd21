import { Integration } from '@keyhold/domain';
import { IntegrationView } from '@keyhold/read-models';

/** An integration as a command left it (no secret, no hint): what creating, activating and the audit history show. */
export type IntegrationDetails = Pick<Integration, 'name' | 'email' | 'callbackUrl' | 'identityLinkUrl' | 'insecure' | 'resourceAccess' | 'status' | 'createdAt'> & {
  readonly id: string;
  readonly resources: string[];
};

export const detailsOfIntegration = (integration: Integration): IntegrationDetails => ({
  id: integration.integrationId,
  name: integration.name,
  email: integration.email,
  callbackUrl: integration.callbackUrl,
  identityLinkUrl: integration.identityLinkUrl,
  insecure: integration.insecure,
  resourceAccess: integration.resourceAccess,
  resources: [...integration.resources],
  status: integration.status,
  createdAt: integration.createdAt,
});

/** As the read model keeps it: hints of the secrets at most. */
export type IntegrationViewDetails = Omit<IntegrationDetails, 'status'> & {
  readonly status: IntegrationView['status'];
  readonly hints: IntegrationView['hints'];
  readonly activatedAt: string | null;
  readonly reauthorizedAt: string | null;
  readonly confirmedAt: string | null;
};

export const detailsOfIntegrationView = (view: IntegrationView): IntegrationViewDetails => ({
  id: view.id,
  name: view.name,
  email: view.email,
  callbackUrl: view.callbackUrl,
  identityLinkUrl: view.identityLinkUrl,
  insecure: view.insecure,
  resourceAccess: view.resourceAccess,
  resources: view.resources,
  status: view.status,
  hints: view.hints,
  createdAt: view.createdAt,
  activatedAt: view.activatedAt,
  reauthorizedAt: view.reauthorizedAt,
  confirmedAt: view.confirmedAt ?? null,
});
