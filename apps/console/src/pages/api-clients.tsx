import { FormEvent, useState } from 'react';
import { Page } from '../api';
import { Session } from '../auth';
import { ClientCards, Confirm, ConfirmDelete, Empty, formatDate, NameDialog, PageHead, Problem, RemovableRows, SecretsOnce, useAction, useLoad, TextField } from '../ui';

type Flows = { authorizationCode: true; requirePkce: boolean; refreshTokens: boolean; password: boolean; clientCredentials: boolean; clientCredentialsRoles: string[] };
type Client = { id: string; clientId: string; name: string; flows: Flows; redirectUris: string[]; createdAt: string };
type ClientSecret = { id: string; hint: string; createdAt: string; expiresAt: string; status: string; lastUsedAt: string | null };
type Shown = { title: string; fileName?: string; secrets: { label: string; value: string }[] };
const ROLES = ['admin', 'member', 'auditor'];
const DEFAULT_LIFETIME_DAYS = 180;

/** Seed 003: OAuth API clients with several expiring secrets, redirect URLs and flow settings. */
export const ApiClientsPage = ({ session }: { session: Session }) => {
  const clients = useLoad(() => session.call<Page<Client>>('/v1/api-clients?limit=100'));
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<Shown | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const client = clients.data?.items.find((item) => item.id === selected);
  return (
    <section aria-labelledby="ac-title">
      <PageHead id="ac-title" title="API clients" action={session.can('clients:write') && { label: 'Create API Client', onClick: () => setCreating(true) }} />
      <Problem error={clients.error} />
      {clients.data?.items.length === 0 && <Empty>No API clients yet.</Empty>}
      <ClientCards items={clients.data?.items} selected={selected} onSelect={setSelected}>
        {(item) => `Created ${formatDate(item.createdAt)}`}
      </ClientCards>
      {client && <ClientDetails key={client.id} session={session} client={client} onChanged={clients.reload} onSecret={setShown} />}
      {creating && (
        <NameDialog
          title="Create API Client"
          hint="Its first secret lasts 6 months."
          create={(name) => session.call<Created>('/v1/api-clients', { method: 'POST', body: { name } })}
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setSelected(created.clientId);
            setShown({
              title: `API client “${created.name}” created`,
              fileName: `${created.name.replace(/[^A-Za-z0-9_-]+/g, '-')}-credentials.txt`,
              secrets: [
                { label: 'Client ID', value: created.clientId },
                { label: 'Client secret', value: created.clientSecret },
              ],
            });
            clients.reload();
          }}
        />
      )}
      {shown && <SecretsOnce title={shown.title} secrets={shown.secrets} fileName={shown.fileName} onClose={() => setShown(null)} />}
    </section>
  );
};

type Created = { clientId: string; name: string; clientSecret: string };

const ClientDetails = ({ session, client, onChanged, onSecret }: { session: Session; client: Client; onChanged: () => void; onSecret: (shown: Shown) => void }) => {
  const base = `/v1/api-clients/${client.id}`;
  const secrets = useLoad(() => session.call<{ items: ClientSecret[] }>(`${base}/secrets`), [client.id]);
  const action = useAction();
  const redirect = useAction();
  const [name, setName] = useState(client.name);
  const [lifetime, setLifetime] = useState(String(DEFAULT_LIFETIME_DAYS));
  const [uri, setUri] = useState('');
  const [flows, setFlows] = useState<Flows>(client.flows);
  const [removing, setRemoving] = useState<ClientSecret | null>(null);
  const [deleting, setDeleting] = useState(false);
  const writable = session.can('clients:write');
  const change = async (run: () => Promise<unknown>) => {
    if ((await action.run(run)) !== undefined) onChanged();
  };
  const submit = (run: () => Promise<unknown>) => (event: FormEvent) => {
    event.preventDefault();
    void change(run);
  };
  return (
    <article className="details" aria-labelledby="ac-details">
      <h2 id="ac-details">{client.name}</h2>
      <p>
        Client ID <code>{client.clientId}</code>
      </p>
      <Problem error={action.error} />
      <fieldset disabled={!writable}>
        <legend>Name</legend>
        <form className="inline" onSubmit={submit(() => session.call(base, { method: 'PATCH', body: { name } }))} noValidate>
          <TextField label="Client name" name="name" error={action.error} value={name} onChange={setName} />
          <button type="submit">Rename</button>
        </form>
      </fieldset>
      <fieldset disabled={!writable}>
        <legend>Client secrets</legend>
        <Problem error={secrets.error} />
        <RemovableRows
          items={secrets.data?.items}
          keyOf={(secret) => secret.id}
          describe={(secret) => (
            <>
              <code>{secret.hint}</code> · {secret.status} · expires {formatDate(secret.expiresAt)} · last used {secret.lastUsedAt ? formatDate(secret.lastUsedAt) : 'never'}
            </>
          )}
          removeLabel={(secret) => `Remove secret ${secret.hint}`}
          onRemove={setRemoving}
        />
        <form
          className="inline"
          noValidate
          onSubmit={async (event) => {
            event.preventDefault();
            const added = await action.run(() => session.call<{ clientSecret: string; expiresAt: string }>(`${base}/secrets`, { method: 'POST', body: { lifetimeDays: Number(lifetime) } }));
            if (added) {
              secrets.reload();
              onSecret({ title: `New secret for “${client.name}”, expires ${formatDate(added.expiresAt)}`, secrets: [{ label: 'Client secret', value: added.clientSecret }] });
            }
          }}
        >
          <TextField label="Lifetime in days" name="lifetimeDays" error={action.error} hint="6 months (180 days) unless you choose otherwise." type="number" min={1} value={lifetime} onChange={setLifetime} />
          <button type="submit">Add secret</button>
        </form>
      </fieldset>
      <fieldset disabled={!writable}>
        <legend>Redirect URLs</legend>
        <RemovableRows
          items={client.redirectUris}
          keyOf={(registered) => registered}
          describe={(registered) => <code>{registered}</code>}
          removeLabel={(registered) => `Remove redirect URL ${registered}`}
          onRemove={(registered) => void change(() => session.call(`${base}/redirect-uris?uri=${encodeURIComponent(registered)}`, { method: 'DELETE' }))}
        />
        <form
          className="inline"
          noValidate
          onSubmit={async (event) => {
            event.preventDefault();
            if ((await redirect.run(() => session.call(`${base}/redirect-uris`, { method: 'POST', body: { uri } }))) !== undefined) {
              setUri('');
              onChanged();
            }
          }}
        >
          <TextField label="Redirect URL" name="uri" error={redirect.error} type="url"  placeholder="https://app.example.com/callback" value={uri} onChange={setUri} />
          <button type="submit">Add URL</button>
          <Problem error={redirect.error} />
        </form>
      </fieldset>
      <fieldset disabled={!writable}>
        <legend>OAuth 2.0 flows</legend>
        <form noValidate onSubmit={submit(() => session.call(`${base}/flows`, { method: 'PUT', body: { ...flows, authorizationCode: undefined } }))}>
          <label>
            <input type="checkbox" checked disabled /> Authorization code (always on)
          </label>
          <label>
            <input type="checkbox" checked={flows.requirePkce} onChange={(event) => setFlows({ ...flows, requirePkce: event.target.checked })} /> Require PKCE
          </label>
          <label>
            <input type="checkbox" checked={flows.refreshTokens} onChange={(event) => setFlows({ ...flows, refreshTokens: event.target.checked })} /> Allow refresh tokens
          </label>
          <label>
            <input type="checkbox" checked={flows.password} onChange={(event) => setFlows({ ...flows, password: event.target.checked })} /> Resource owner password credentials
          </label>
          <label>
            <input type="checkbox" checked={flows.clientCredentials} onChange={(event) => setFlows({ ...flows, clientCredentials: event.target.checked })} /> Client credentials
          </label>
          {flows.clientCredentials && (
            <fieldset>
              <legend>Roles the client acts with</legend>
              {ROLES.map((role) => (
                <label key={role}>
                  <input
                    type="checkbox"
                    checked={flows.clientCredentialsRoles.includes(role)}
                    onChange={(event) =>
                      setFlows({ ...flows, clientCredentialsRoles: event.target.checked ? [...flows.clientCredentialsRoles, role] : flows.clientCredentialsRoles.filter((held) => held !== role) })
                    }
                  />{' '}
                  {role}
                </label>
              ))}
              <small className="hint">Only roles whose rights you hold yourself.</small>
            </fieldset>
          )}
          <button type="submit">Save flow settings</button>
        </form>
      </fieldset>
      {writable && (
        <div className="actions">
          <button type="button" className="danger" onClick={() => setDeleting(true)}>
            Delete client
          </button>
        </div>
      )}
      {removing && (
        <Confirm
          title={`Remove secret ${removing.hint}?`}
          action="Remove secret"
          onClose={() => setRemoving(null)}
          perform={() => session.call(`${base}/secrets/${removing.id}`, { method: 'DELETE' })}
          onDone={() => {
            setRemoving(null);
            secrets.reload();
          }}
        >
          <p>Applications still using this secret stop authenticating at once.</p>
        </Confirm>
      )}
      {deleting && (
        <ConfirmDelete name={client.name} what="client" onClose={() => setDeleting(false)} perform={() => session.call(base, { method: 'DELETE' })} onDeleted={onChanged}>
          <p>Its secrets and tokens stop working at once. This cannot be undone.</p>
        </ConfirmDelete>
      )}
    </article>
  );
};
