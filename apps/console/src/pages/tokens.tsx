import { FormEvent, useState } from 'react';
import { Page } from '../api';
import { Session } from '../auth';
import { Confirm, Dialog, Empty, FormFooter, formatDate, PageHead, Problem, SecretsOnce, useAction, useLoad, DataTable, TextField } from '../ui';

type Token = { id: string; label: string; scope: 'read' | 'read_write'; status: string; hint: string; createdAt: string; expiresAt: string | null; lastUsedAt: string | null };
const SCOPE_NAMES = { read: 'Read only', read_write: 'Read & write' } as const;

/** Seed 001: personal API tokens, one per app or device, shown once, revoked for good. */
export const TokensPage = ({ session }: { session: Session }) => {
  const tokens = useLoad(() => session.call<Page<Token>>('/v1/tokens?limit=100'));
  const [creating, setCreating] = useState(false);
  const [issued, setIssued] = useState<{ label: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);

  return (
    <section aria-labelledby="tokens-title">
      <PageHead id="tokens-title" title="Personal API tokens" action={{ label: 'Create token', onClick: () => setCreating(true) }} />
      <p>Give each app or device its own token, so that you can revoke one without touching the others.</p>
      <Problem error={tokens.error} />
      {tokens.data && tokens.data.items.length === 0 && <Empty>No tokens yet.</Empty>}
      {tokens.data && tokens.data.items.length > 0 && (
        <DataTable columns={['Label', 'Scope', 'Created', 'Last used', 'Expires', 'Status', '']}>
          {tokens.data.items.map((token) => (
            <tr key={token.id}>
              <th scope="row">
                {token.label} <code className="hint">{token.hint}</code>
              </th>
              <td>{SCOPE_NAMES[token.scope]}</td>
              <td>{formatDate(token.createdAt)}</td>
              <td>{token.lastUsedAt ? formatDate(token.lastUsedAt) : 'Never'}</td>
              <td>{token.expiresAt ? formatDate(token.expiresAt) : 'Never'}</td>
              <td>{token.status}</td>
              <td>
                {token.status === 'active' && (
                  <button type="button" className="danger" onClick={() => setRevoking(token)} aria-label={`Revoke ${token.label}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {creating && (
        <CreateToken
          session={session}
          onClose={() => setCreating(false)}
          onIssued={(label, token) => {
            setCreating(false);
            setIssued({ label, token });
            tokens.reload();
          }}
        />
      )}
      {issued && <SecretsOnce title={`Token “${issued.label}” created`} secrets={[{ label: 'API token', value: issued.token }]} onClose={() => setIssued(null)} />}
      {revoking && (
        <Confirm
          title={`Revoke “${revoking.label}”?`}
          action="Revoke token"
          onClose={() => setRevoking(null)}
          perform={() => session.call(`/v1/tokens/${revoking.id}/revoke`, { method: 'POST', body: {} })}
          onDone={() => {
            setRevoking(null);
            tokens.reload();
          }}
        >
          <p>Revocation is final: the token cannot be restored. Every app using it stops working; create a new token for them.</p>
        </Confirm>
      )}
    </section>
  );
};

const CreateToken = ({ session, onClose, onIssued }: { session: Session; onClose: () => void; onIssued: (label: string, token: string) => void }) => {
  const [label, setLabel] = useState('');
  const [scope, setScope] = useState<'read' | 'read_write'>('read');
  const [expiresAt, setExpiresAt] = useState('');
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = { label, scope, ...(expiresAt ? { expiresAt: new Date(`${expiresAt}T00:00:00Z`).toISOString() } : {}) };
    const issued = await action.run(() => session.call<{ token: string; label: string }>('/v1/tokens', { method: 'POST', body }));
    if (issued) onIssued(issued.label, issued.token);
  };
  return (
    <Dialog title="Create a personal API token" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField label="Label" name="label" error={action.error} hint="The app or device that will use it, e.g. “Power BI on laptop”." autoFocus value={label} onChange={setLabel} />
        <fieldset>
          <legend>Scope</legend>
          <label>
            <input type="radio" name="scope" value="read" checked={scope === 'read'} onChange={() => setScope('read')} /> Read only
          </label>
          <label>
            <input type="radio" name="scope" value="read_write" checked={scope === 'read_write'} onChange={() => setScope('read_write')} /> Read &amp; write
          </label>
          <small className="hint">A token can only narrow your own rights, never widen them: with read &amp; write it does what you can do, no more.</small>
        </fieldset>
        <TextField label="Expires on (optional)" name="expiresAt" error={action.error} type="date" value={expiresAt} onChange={setExpiresAt} />
        <FormFooter error={action.error} busy={action.busy} submit="Create" onCancel={onClose} />
      </form>
    </Dialog>
  );
};
