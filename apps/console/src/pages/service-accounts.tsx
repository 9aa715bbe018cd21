import { useState } from 'react';
import { Page } from '../api';
import { Session } from '../auth';
import { ClientCards, Confirm, ConfirmDelete, Empty, formatDate, NameDialog, PageHead, Problem, SecretsOnce, useAction, useLoad, TextField } from '../ui';

type Account = { id: string; clientId: string; name: string; permissions: string[]; projects: string[]; secretHint: string; sunsetAt: string | null; createdAt: string; secretResetAt: string | null };

/** Seed 004: service accounts for the client-credentials grant. */
export const ServiceAccountsPage = ({ session }: { session: Session }) => {
  const accounts = useLoad(() => session.call<Page<Account>>('/v1/service-accounts?limit=100'));
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ title: string; clientId: string; clientSecret: string } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const account = accounts.data?.items.find((item) => item.id === selected);
  return (
    <section aria-labelledby="sa-title">
      <PageHead id="sa-title" title="Service accounts" action={session.can('clients:write') && { label: 'Create service account', onClick: () => setCreating(true) }} />
      <p>For servers using the OAuth 2.0 client-credentials grant. A new account has no permissions until you grant them.</p>
      <Problem error={accounts.error} />
      {accounts.data?.items.length === 0 && <Empty>No service accounts yet.</Empty>}
      <ClientCards items={accounts.data?.items} selected={selected} onSelect={setSelected}>
        {(item) => `${item.permissions.length} permissions · ${item.projects.length} projects${item.sunsetAt ? ` · sunset ${formatDate(item.sunsetAt)}` : ''}`}
      </ClientCards>
      {account && <AccountDetails key={account.id} session={session} account={account} onChanged={accounts.reload} onSecret={(clientSecret) => setSecret({ title: `New secret for “${account.name}”`, clientId: account.clientId, clientSecret })} />}
      {creating && (
        <NameDialog
          title="Create a service account"
          create={(name) => session.call<Created>('/v1/service-accounts', { method: 'POST', body: { name } })}
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setSecret({ title: `Service account “${created.name}” created`, clientId: created.clientId, clientSecret: created.clientSecret });
            setSelected(created.clientId);
            accounts.reload();
          }}
        />
      )}
      {secret && (
        <SecretsOnce
          title={secret.title}
          secrets={[
            { label: 'client_id', value: secret.clientId },
            { label: 'client_secret', value: secret.clientSecret },
          ]}
          onClose={() => setSecret(null)}
        />
      )}
    </section>
  );
};

type Created = { name: string; clientId: string; clientSecret: string };

const AccountDetails = ({ session, account, onChanged, onSecret }: { session: Session; account: Account; onChanged: () => void; onSecret: (secret: string) => void }) => {
  const action = useAction();
  const [project, setProject] = useState('');
  const [sunset, setSunset] = useState(account.sunsetAt?.slice(0, 10) ?? '');
  const [confirm, setConfirm] = useState<'reset' | 'delete' | null>(null);
  const writable = session.can('clients:write');
  const base = `/v1/service-accounts/${account.id}`;
  const change = async (path: string, method: string, body?: unknown) => {
    const done = await action.run(() => session.call(path, { method, body }));
    if (done !== undefined) onChanged();
  };
  // Only what the signed-in admin holds can be granted: a grant never widens anyone's rights.
  const grantable = [...new Set([...session.me.permissions, ...account.permissions])].sort();
  return (
    <article className="details" aria-labelledby="sa-details">
      <h2 id="sa-details">{account.name}</h2>
      <p>
        Client ID <code>{account.clientId}</code> · secret <code>{account.secretHint}</code> · created {formatDate(account.createdAt)}
      </p>
      <Problem error={action.error} />
      <fieldset disabled={!writable}>
        <legend>Permissions</legend>
        <div className="checks">
          {grantable.map((permission) => (
            <label key={permission}>
              <input type="checkbox" checked={account.permissions.includes(permission)} onChange={(event) => change(`${base}/permissions/${permission}`, event.target.checked ? 'PUT' : 'DELETE')} /> {permission}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset disabled={!writable}>
        <legend>Projects</legend>
        <ul className="chips">
          {account.projects.map((id) => (
            <li key={id}>
              {id}{' '}
              <button type="button" aria-label={`Remove project ${id}`} onClick={() => change(`${base}/projects/${encodeURIComponent(id)}`, 'DELETE')}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <form
          className="inline"
          onSubmit={(event) => {
            event.preventDefault();
            if (project.trim()) void change(`${base}/projects/${encodeURIComponent(project.trim())}`, 'PUT').then(() => setProject(''));
          }}
        >
          <TextField label="Add to project" name="projectId" error={action.error} value={project} onChange={setProject} />
          <button type="submit">Add</button>
        </form>
      </fieldset>
      <fieldset disabled={!writable}>
        <legend>Sunset</legend>
        <form
          className="inline"
          onSubmit={(event) => {
            event.preventDefault();
            void change(`${base}/sunset`, 'PUT', { sunsetAt: sunset ? new Date(`${sunset}T00:00:00Z`).toISOString() : null });
          }}
        >
          <TextField label="Stops working on" name="sunsetAt" error={action.error} hint="Leave empty for no sunset date." type="date" value={sunset} onChange={setSunset} />
          <button type="submit">Set sunset</button>
        </form>
      </fieldset>
      {writable && (
        <div className="actions">
          <button type="button" className="danger" onClick={() => setConfirm('reset')}>
            Reset secret
          </button>
          <button type="button" className="danger" onClick={() => setConfirm('delete')}>
            Delete
          </button>
        </div>
      )}
      {confirm === 'reset' && (
        <Confirm
          title={`Reset the secret of “${account.name}”?`}
          action="Reset secret"
          onClose={() => setConfirm(null)}
          perform={() => session.call<{ clientSecret: string }>(`${base}/reset-secret`, { method: 'POST' })}
          onDone={(reset) => {
            setConfirm(null);
            onChanged();
            onSecret(reset.clientSecret);
          }}
        >
          <p>The current secret and its access tokens stop working at once, and the account loses every permission and project:</p>
          <ul className="removed">
            {account.permissions.map((permission) => (
              <li key={permission}>Permission {permission}</li>
            ))}
            {account.projects.map((id) => (
              <li key={id}>Project {id}</li>
            ))}
            {account.permissions.length + account.projects.length === 0 && <li>(none held now)</li>}
          </ul>
        </Confirm>
      )}
      {confirm === 'delete' && (
        <ConfirmDelete name={account.name} what="service account" onClose={() => setConfirm(null)} perform={() => session.call(base, { method: 'DELETE' })} onDeleted={onChanged}>
          <p>Its secret and tokens stop working at once. This cannot be undone.</p>
        </ConfirmDelete>
      )}
    </article>
  );
};
