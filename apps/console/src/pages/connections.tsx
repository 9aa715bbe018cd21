import { FormEvent, useState } from 'react';
import { Page } from '../api';
import { Session } from '../auth';
import { ConfirmDelete, Dialog, Empty, Field, FormFooter, formatDate, PageHead, Problem, useAction, useLoad, DataTable, TextField } from '../ui';

type CredentialType = 'api_key' | 'basic_auth' | 'bearer_token' | 'oauth2';
type Connection = {
  id: string;
  name: string;
  service: string;
  allowedDomains: string[];
  credential: { type: CredentialType; secretsSet: Record<string, boolean>; [setting: string]: unknown };
  createdAt: string;
  updatedAt: string;
  lastAccessedAt: string | null;
};

/** Each credential type's fields, in order; secrets are write-only. */
const FIELDS: Record<CredentialType, { name: string; label: string; secret: boolean }[]> = {
  api_key: [
    { name: 'headerName', label: 'Header name', secret: false },
    { name: 'apiKey', label: 'API key', secret: true },
  ],
  basic_auth: [
    { name: 'username', label: 'User name', secret: true },
    { name: 'password', label: 'Password', secret: true },
  ],
  bearer_token: [{ name: 'token', label: 'Bearer token', secret: true }],
  oauth2: [
    { name: 'clientId', label: 'Client ID', secret: false },
    { name: 'clientSecret', label: 'Client secret', secret: true },
    { name: 'tokenUrl', label: 'Token URL', secret: false },
    { name: 'scopes', label: 'Scopes (space-separated)', secret: false },
    { name: 'refreshToken', label: 'Refresh token', secret: true },
  ],
};
const TYPE_NAMES: Record<CredentialType, string> = { api_key: 'API key', basic_auth: 'Basic authentication', bearer_token: 'Bearer token', oauth2: 'OAuth 2.0 client' };
/** After creation, an OAuth client of a connection changes only its client ID and secret. */
const OAUTH_EDITABLE = ['clientId', 'clientSecret'];

type Tab = 'connections' | 'oauth';

/** Seed 000: stored credentials for third-party services; reads never show a secret. */
export const ConnectionsPage = ({ session }: { session: Session }) => {
  const connections = useLoad(() => session.call<Page<Connection>>('/v1/connections?limit=100'));
  const [tab, setTab] = useState<Tab>('connections');
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const shown = connections.data?.items.filter((item) => (item.credential.type === 'oauth2') === (tab === 'oauth')) ?? [];
  const connection = shown.find((item) => item.id === selected);
  return (
    <section aria-labelledby="cx-title">
      <PageHead id="cx-title" title="Connections" action={session.can('connections:write') && { label: 'Add connection', onClick: () => setCreating(true) }} />
      <div role="tablist" aria-label="Connection kinds" className="tabs">
        {(['connections', 'oauth'] as Tab[]).map((name) => (
          <button key={name} type="button" role="tab" aria-selected={tab === name} onClick={() => (setTab(name), setSelected(null))}>
            {name === 'connections' ? 'Connections' : 'OAuth clients'}
          </button>
        ))}
      </div>
      <Problem error={connections.error} />
      {connections.data && shown.length === 0 && <Empty>Nothing here yet.</Empty>}
      {shown.length > 0 && (
        <DataTable columns={['Name', 'Service', 'Type', 'Last used']}>
          {shown.map((item) => (
            <tr key={item.id}>
              <th scope="row">
                <button type="button" className="link" onClick={() => setSelected(item.id)}>
                  {item.name}
                </button>
              </th>
              <td>{item.service}</td>
              <td>{TYPE_NAMES[item.credential.type]}</td>
              <td>{item.lastAccessedAt ? formatDate(item.lastAccessedAt) : 'Never'}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {connection && <ConnectionDetails key={connection.id + connection.updatedAt} session={session} connection={connection} onChanged={connections.reload} onDeleted={() => (setSelected(null), connections.reload())} />}
      {creating && <CreateConnection session={session} oauth={tab === 'oauth'} onClose={() => setCreating(false)} onCreated={(id) => (setCreating(false), setSelected(id), connections.reload())} />}
    </section>
  );
};

const credentialBody = (type: CredentialType, values: Record<string, string>, keepEmpty: boolean) =>
  Object.fromEntries(
    FIELDS[type]
      .filter((field) => values[field.name] !== undefined && (keepEmpty || values[field.name] !== ''))
      .map((field) => [field.name, field.name === 'scopes' ? values.scopes.split(/\s+/).filter(Boolean) : values[field.name]]),
  );

const CreateConnection = ({ session, oauth, onClose, onCreated }: { session: Session; oauth: boolean; onClose: () => void; onCreated: (id: string) => void }) => {
  const [type, setType] = useState<CredentialType>(oauth ? 'oauth2' : 'bearer_token');
  const [fields, setFields] = useState<Record<string, string>>({ name: '', service: '', allowedDomains: '' });
  const [values, setValues] = useState<Record<string, string>>({});
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = { name: fields.name, service: fields.service, allowedDomains: fields.allowedDomains.split(/[\s,]+/).filter(Boolean), credential: { type, ...credentialBody(type, values, false) } };
    const created = await action.run(() => session.call<{ id: string }>('/v1/connections', { method: 'POST', body }));
    if (created) onCreated(created.id);
  };
  return (
    <Dialog title={oauth ? 'Add an OAuth client' : 'Add a connection'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {(['name', 'service', 'allowedDomains'] as const).map((name) => (
          <TextField key={name} label={{ name: 'Name', service: 'Service', allowedDomains: 'Allowed domains' }[name]} name={name} error={action.error} hint={name === 'allowedDomains' ? 'Where the credential may be sent, e.g. slack.com' : undefined} value={fields[name]} onChange={(value) => setFields({ ...fields, [name]: value })} />
        ))}
        <Field label="Credential type" name="type" error={action.error}>
          {(props) => (
            <select {...props} value={type} onChange={(event) => (setType(event.target.value as CredentialType), setValues({}))}>
              {(Object.keys(FIELDS) as CredentialType[]).map((name) => (
                <option key={name} value={name}>
                  {TYPE_NAMES[name]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <CredentialFields type={type} values={values} onChange={setValues} error={action.error} editable={() => true} />
        <FormFooter error={action.error} busy={action.busy} submit="Save" onCancel={onClose} />
      </form>
    </Dialog>
  );
};

const CredentialFields = ({ type, values, onChange, error, editable, secretsSet }: { type: CredentialType; values: Record<string, string>; onChange: (values: Record<string, string>) => void; error?: Parameters<typeof Field>[0]['error']; editable: (name: string) => boolean; secretsSet?: Record<string, boolean> }) => (
  <>
    {FIELDS[type]
      .filter((field) => editable(field.name))
      .map((field) => (
        <TextField key={field.name} label={field.label} name={field.name} error={error} hint={field.secret && secretsSet ? (secretsSet[field.name] ? 'Set. Leave empty to keep it.' : 'Not set.') : undefined} type={field.secret ? 'password' : 'text'} autoComplete="off" value={values[field.name] ?? ''} onChange={(value) => onChange({ ...values, [field.name]: value })} />
      ))}
  </>
);

const ConnectionDetails = ({ session, connection, onChanged, onDeleted }: { session: Session; connection: Connection; onChanged: () => void; onDeleted: () => void }) => {
  const { type, secretsSet, ...settings } = connection.credential;
  const oauth = type === 'oauth2';
  const secretNames = new Set(FIELDS[type].filter((field) => field.secret).map((field) => field.name));
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(FIELDS[type].filter((field) => !field.secret).map((field) => [field.name, Array.isArray(settings[field.name]) ? (settings[field.name] as string[]).join(' ') : String(settings[field.name] ?? '')])));
  const [fields, setFields] = useState({ name: connection.name, service: connection.service, allowedDomains: connection.allowedDomains.join(', ') });
  const action = useAction();
  const writable = session.can('connections:write');
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const credential = credentialBody(type, oauth ? Object.fromEntries(Object.entries(values).filter(([name]) => OAUTH_EDITABLE.includes(name))) : values, false);
    const body = oauth ? { credential } : { name: fields.name, service: fields.service, allowedDomains: fields.allowedDomains.split(/[\s,]+/).filter(Boolean), credential };
    if ((await action.run(() => session.call(`/v1/connections/${connection.id}`, { method: 'PATCH', body }))) !== undefined) {
      setEditing(false);
      onChanged();
    }
  };
  return (
    <article className="details" aria-labelledby="cx-details">
      <h2 id="cx-details">{connection.name}</h2>
      {!editing && (
        <dl className="facts">
          <dt>Service</dt>
          <dd>{connection.service}</dd>
          <dt>Allowed domains</dt>
          <dd>{connection.allowedDomains.join(', ')}</dd>
          <dt>Credential</dt>
          <dd>{TYPE_NAMES[type]}</dd>
          {FIELDS[type].map((field) => (
            <div key={field.name} className="fact">
              <dt>{field.label}</dt>
              <dd>{secretNames.has(field.name) ? (secretsSet[field.name] ? 'Set (hidden)' : 'Not set') : String(settings[field.name] ?? '—')}</dd>
            </div>
          ))}
          <dt>Updated</dt>
          <dd>{formatDate(connection.updatedAt)}</dd>
        </dl>
      )}
      {editing && (
        <form onSubmit={save} noValidate>
          {!oauth &&
            (['name', 'service', 'allowedDomains'] as const).map((name) => (
              <TextField key={name} label={{ name: 'Name', service: 'Service', allowedDomains: 'Allowed domains' }[name]} name={name} error={action.error} value={fields[name]} onChange={(value) => setFields({ ...fields, [name]: value })} />
            ))}
          <CredentialFields type={type} values={values} onChange={setValues} error={action.error} secretsSet={secretsSet} editable={(name) => !oauth || OAUTH_EDITABLE.includes(name)} />
          <FormFooter error={action.error} busy={action.busy} submit="Save changes" onCancel={() => setEditing(false)} />
        </form>
      )}
      {writable && !editing && (
        <div className="actions">
          <button type="button" onClick={() => setEditing(true)}>
            Edit
          </button>
          <button type="button" className="danger" onClick={() => setDeleting(true)}>
            Delete
          </button>
        </div>
      )}
      {deleting && (
        <ConfirmDelete name={connection.name} what="connection" onClose={() => setDeleting(false)} perform={() => session.call(`/v1/connections/${connection.id}`, { method: 'DELETE' })} onDeleted={onDeleted}>
          <p>Its stored credential is destroyed for good: nothing can use it again.</p>
        </ConfirmDelete>
      )}
    </article>
  );
};
