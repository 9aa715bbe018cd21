import { FormEvent, useState } from 'react';
import { Page } from '../api';
import { Session } from '../auth';
import { Confirm, Dialog, Empty, FormFooter, formatDate, PageHead, Problem, Secret, SecretsOnce, useAction, useLoad, TextField } from '../ui';

type Integration = { id: string; name: string; email: string; callbackUrl: string | null; identityLinkUrl: string | null; insecure: boolean; resourceAccess: 'all' | 'custom'; resources: string[]; status: 'inactive' | 'activating' | 'active'; createdAt: string; activatedAt: string | null };
const STATUS_NAMES: Record<Integration['status'], string> = { inactive: 'Inactive', activating: 'Activating', active: 'Active' };
type Resource = { name: string; description: string };
type Tokens = { consumerKey?: string; consumerSecret?: string; accessToken: string; accessTokenSecret: string };
/**
 * Activate answers with the tokens (200), or, for an integration with a callback URL on a service
 * that runs the OAuth 1.0a handshake, with where the admin continues (202, `identityLink`).
 */
type Activation = { tokens?: Tokens; identityLink?: string | null };
const TOKEN_LABELS: Record<keyof Tokens, string> = { consumerKey: 'Consumer key', consumerSecret: 'Consumer secret', accessToken: 'Access token', accessTokenSecret: 'Access token secret' };

const secretsOf = (tokens: Tokens): Secret[] => (Object.keys(TOKEN_LABELS) as (keyof Tokens)[]).filter((key) => tokens[key]).map((key) => ({ label: TOKEN_LABELS[key], value: tokens[key]! }));
type Confirming = { kind: 'activate' | 'reauthorize' | 'delete'; integration: Integration };

const isInsecure = (url: string) => url.trim() !== '' && !/^https:\/\//i.test(url.trim());

/** Seed 002: integrations, their tokens shown once on Activate → Allow, and the guest-access setting. */
export const IntegrationsPage = ({ session }: { session: Session }) => {
  const integrations = useLoad(() => session.call<Page<Integration>>('/v1/integrations?limit=100'));
  const [adding, setAdding] = useState(false);
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const [shown, setShown] = useState<{ title: string; secrets: Secret[] } | null>(null);
  const [handshake, setHandshake] = useState<{ name: string; identityLink: string | null } | null>(null);
  // Reauthorizing hands out new tokens: the API asks the admin to confirm with their password.
  const [password, setPassword] = useState('');
  const writable = session.can('integrations:write');
  const perform = ({ kind, integration }: Confirming) => {
    const path = `/v1/integrations/${integration.id}`;
    if (kind === 'delete') return session.call<null>(path, { method: 'DELETE' });
    return session.call<Activation>(`${path}/${kind}`, { method: 'POST', ...(kind === 'reauthorize' ? { body: { password } } : {}) });
  };
  const confirm = (next: Confirming | null) => {
    setPassword('');
    setConfirming(next);
  };
  const done = ({ integration }: Confirming, result: Activation | null) => {
    confirm(null);
    integrations.reload();
    if (result?.tokens) setShown({ title: `Integration tokens for “${integration.name}”`, secrets: secretsOf(result.tokens) });
    else if (result && 'identityLink' in result) setHandshake({ name: integration.name, identityLink: result.identityLink ?? null });
  };
  return (
    <section aria-labelledby="in-title">
      <PageHead id="in-title" title="Integrations" action={writable && { label: 'Add integration', onClick: () => setAdding(true) }} />
      {session.can('settings:read') && <GuestAccess session={session} />}
      <Problem error={integrations.error} />
      {integrations.data?.items.length === 0 && <Empty>No integrations yet.</Empty>}
      <ul className="grid">
        {integrations.data?.items.map((integration) => (
          <li key={integration.id} className="card">
            <h2>{integration.name}</h2>
            <p>
              <span className={`badge ${integration.status}`}>{STATUS_NAMES[integration.status]}</span>
              {integration.insecure && <span className="badge warning">Integration not secure</span>}
            </p>
            <small>
              {integration.email} · {integration.resourceAccess === 'all' ? 'All resources' : integration.resources.join(', ') || 'No resources'} · created {formatDate(integration.createdAt)}
            </small>
            {writable && (
              <div className="actions">
                {integration.status !== 'active' ? (
                  <button type="button" className="primary" onClick={() => confirm({ kind: 'activate', integration })}>
                    Activate
                  </button>
                ) : (
                  <button type="button" onClick={() => confirm({ kind: 'reauthorize', integration })}>
                    Reauthorize
                  </button>
                )}
                <button type="button" className="danger" onClick={() => confirm({ kind: 'delete', integration })} aria-label={`Delete ${integration.name}`}>
                  Delete
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {adding && <AddIntegration session={session} onClose={() => setAdding(false)} onAdded={() => (setAdding(false), integrations.reload())} />}
      {confirming && (
        <Confirm
          title={{ activate: `Activate “${confirming.integration.name}”?`, reauthorize: `Reauthorize “${confirming.integration.name}”?`, delete: `Delete “${confirming.integration.name}”?` }[confirming.kind]}
          action={{ activate: 'Allow', reauthorize: 'Reauthorize', delete: 'Delete integration' }[confirming.kind]}
          onClose={() => confirm(null)}
          perform={() => perform(confirming)}
          onDone={(result) => done(confirming, result)}
        >
          {confirming.kind === 'activate' && <p>The integration will get access to: {confirming.integration.resourceAccess === 'all' ? 'all resources' : confirming.integration.resources.join(', ')}. Its four credentials are shown once.</p>}
          {confirming.kind === 'reauthorize' && (
            <>
              <p>A new access token and secret replace the current ones, which stop working at once.</p>
              <TextField label="Your password (to confirm)" name="password" type="password" autoComplete="current-password" value={password} onChange={setPassword} />
            </>
          )}
          {confirming.kind === 'delete' && <p>Its tokens stop working at once. This cannot be undone.</p>}
        </Confirm>
      )}
      {shown && <SecretsOnce title={shown.title} secrets={shown.secrets} onClose={() => setShown(null)} />}
      {handshake && (
        <Dialog title={`Activating “${handshake.name}”`} onClose={() => setHandshake(null)}>
          <p>Its consumer key and secret were sent to its callback URL; the integration now completes the handshake with Keyhold.</p>
          {handshake.identityLink && (
            <p>
              <a href={handshake.identityLink} target="_blank" rel="noopener noreferrer">
                Continue at the integration
              </a>{' '}
              to link your account there.
            </p>
          )}
          <div className="actions">
            <button type="button" className="primary" onClick={() => setHandshake(null)}>
              Done
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
};

const GuestAccess = ({ session }: { session: Session }) => {
  const settings = useLoad(() => session.call<{ allowAnonymousGuestAccess: boolean }>('/v1/settings'));
  const action = useAction();
  if (!settings.data) return <Problem error={settings.error} />;
  return (
    <div className="setting">
      <label>
        <input
          type="checkbox"
          checked={settings.data.allowAnonymousGuestAccess}
          disabled={!session.can('settings:write') || action.busy}
          onChange={async (event) => {
            const allow = event.target.checked;
            if ((await action.run(() => session.call('/v1/settings', { method: 'PATCH', body: { allowAnonymousGuestAccess: allow } }))) !== undefined) settings.reload();
          }}
        />{' '}
        Allow anonymous guest access to the API (store-wide)
      </label>
      <Problem error={action.error} />
    </div>
  );
};

const AddIntegration = ({ session, onClose, onAdded }: { session: Session; onClose: () => void; onAdded: () => void }) => {
  const catalogue = useLoad(() => session.call<{ items: Resource[] }>('/v1/integrations/resources'));
  const [form, setForm] = useState({ name: '', email: '', callbackUrl: '', identityLinkUrl: '', password: '' });
  const [access, setAccess] = useState<'all' | 'custom'>('all');
  const [resources, setResources] = useState<string[]>([]);
  const action = useAction();
  const groups = new Map<string, Resource[]>();
  for (const resource of catalogue.data?.items ?? []) {
    const group = resource.name.split('.')[0];
    groups.set(group, [...(groups.get(group) ?? []), resource]);
  }
  const toggle = (names: string[], on: boolean) => setResources((held) => (on ? [...new Set([...held, ...names])] : held.filter((name) => !names.includes(name))));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = {
      name: form.name,
      email: form.email,
      ...(form.callbackUrl ? { callbackUrl: form.callbackUrl } : {}),
      ...(form.identityLinkUrl ? { identityLinkUrl: form.identityLinkUrl } : {}),
      resourceAccess: access,
      ...(access === 'custom' ? { resources } : {}),
      password: form.password,
    };
    if ((await action.run(() => session.call('/v1/integrations', { method: 'POST', body }))) !== undefined) onAdded();
  };
  const text = (name: keyof typeof form, label: string, type = 'text') => (
    <TextField label={label} name={name} error={action.error} type={type} autoComplete={name === 'password' ? 'current-password' : 'off'} value={form[name]} onChange={(value) => setForm({ ...form, [name]: value })} />
  );
  return (
    <Dialog title="Add integration" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {text('name', 'Name')}
        {text('email', 'E-mail', 'email')}
        {text('callbackUrl', 'Callback URL', 'url')}
        {text('identityLinkUrl', 'Identity link URL', 'url')}
        {(isInsecure(form.callbackUrl) || isInsecure(form.identityLinkUrl)) && (
          <p className="warning" role="status">
            Integration not secure: use https for the callback and identity link URLs.
          </p>
        )}
        <fieldset>
          <legend>Resource access</legend>
          <label>
            <input type="radio" name="resourceAccess" checked={access === 'all'} onChange={() => setAccess('all')} /> All
          </label>
          <label>
            <input type="radio" name="resourceAccess" checked={access === 'custom'} onChange={() => setAccess('custom')} /> Custom
          </label>
          {access === 'custom' && (
            <ul className="tree" role="group" aria-label="Resources">
              {[...groups].map(([group, members]) => {
                const names = members.map((member) => member.name);
                const held = names.filter((name) => resources.includes(name)).length;
                return (
                  <li key={group}>
                    <label>
                      <input type="checkbox" checked={held === names.length} ref={(box) => {
                          if (box) box.indeterminate = held > 0 && held < names.length;
                        }} onChange={(event) => toggle(names, event.target.checked)} /> {group}
                    </label>
                    <ul>
                      {members.map((member) => (
                        <li key={member.name}>
                          <label title={member.description}>
                            <input type="checkbox" checked={resources.includes(member.name)} onChange={(event) => toggle([member.name], event.target.checked)} /> {member.name}
                          </label>
                          <small className="hint"> {member.description}</small>
                        </li>
                      ))}
                    </ul>
                  </li>
                );
              })}
            </ul>
          )}
        </fieldset>
        {text('password', 'Your password (to confirm)', 'password')}
        <FormFooter error={action.error} busy={action.busy} submit="Save" onCancel={onClose} />
      </form>
    </Dialog>
  );
};
