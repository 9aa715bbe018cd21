import { FormEvent, useState } from 'react';
import { Page } from '../api';
import { Session } from '../auth';
import { BrowserSessions, useSessionsOffered } from './sessions';
import { Dialog, Field, FormFooter, formatDate, PageHead, Problem, Secret, SecretsOnce, useAction, useLoad, DataTable, TextField } from '../ui';

type User = { id: string; email: string; role: string; createdAt: string };
/**
 * What adding a user hands the admin, once: the user's first API token, or, where people sign in
 * (issue 15), a one-time invitation link.
 */
type Added = { email: string; initialToken?: { token: string }; invitation?: { url: string; expiresAt: string } };

const handedOver = (added: Added): Secret[] =>
  added.invitation
    ? [{ label: `Invitation link (valid until ${formatDate(added.invitation.expiresAt)})`, value: added.invitation.url }]
    : added.initialToken
      ? [{ label: 'First API token (give it to them privately)', value: added.initialToken.token }]
      : [];
const ROLES = ['admin', 'member', 'auditor'];

/** Admins: people of the tenant and their roles. */
export const UsersPage = ({ session }: { session: Session }) => {
  const users = useLoad(() => session.call<Page<User>>('/v1/users?limit=100'));
  const [inviting, setInviting] = useState(false);
  const [invited, setInvited] = useState<Added | null>(null);
  const [showing, setShowing] = useState<User | null>(null);
  const sessionsOffered = useSessionsOffered(session);
  const action = useAction();
  return (
    <section aria-labelledby="us-title">
      <PageHead id="us-title" title="Users" action={session.can('users:write') && { label: 'Invite user', onClick: () => setInviting(true) }} />
      <Problem error={users.error ?? action.error} />
      <DataTable columns={sessionsOffered ? ['E-mail', 'Role', 'Added', ''] : ['E-mail', 'Role', 'Added']}>
        {users.data?.items.map((user) => (
          <tr key={user.id}>
            <th scope="row">{user.email}</th>
            <td>
              <select
                aria-label={`Role of ${user.email}`}
                value={user.role}
                disabled={!session.can('users:write') || user.id === session.me.actor.id}
                onChange={async (event) => {
                  const role = event.target.value;
                  if ((await action.run(() => session.call(`/v1/users/${user.id}/role`, { method: 'PUT', body: { role } }))) !== undefined) users.reload();
                }}
              >
                {ROLES.map((role) => (
                  <option key={role}>{role}</option>
                ))}
              </select>
            </td>
            <td>{formatDate(user.createdAt)}</td>
            {sessionsOffered && (
              <td>
                <button type="button" onClick={() => setShowing(user)} aria-label={`Sessions of ${user.email}`}>
                  Sessions
                </button>
              </td>
            )}
          </tr>
        ))}
      </DataTable>
      {showing && <BrowserSessions key={showing.id} session={session} path={`/v1/users/${showing.id}/sessions`} title={`Sessions of ${showing.email}`} canEnd={session.can('users:write')} />}
      {inviting && <Invite session={session} onClose={() => setInviting(false)} onInvited={(added) => (setInviting(false), setInvited(added), users.reload())} />}
      {invited && <SecretsOnce title={`${invited.email} added`} secrets={handedOver(invited)} onClose={() => setInvited(null)} />}
    </section>
  );
};

const Invite = ({ session, onClose, onInvited }: { session: Session; onClose: () => void; onInvited: (added: Added) => void }) => {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const added = await action.run(() => session.call<Added>('/v1/users', { method: 'POST', body: { email, role } }));
    if (added) onInvited(added);
  };
  return (
    <Dialog title="Invite a user" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField label="E-mail" name="email" error={action.error} type="email"  autoFocus value={email} onChange={setEmail} />
        <Field label="Role" name="role" error={action.error}>
          {(props) => (
            <select {...props} value={role} onChange={(event) => setRole(event.target.value)}>
              {ROLES.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          )}
        </Field>
        <FormFooter error={action.error} busy={action.busy} submit="Invite" onCancel={onClose} />
      </form>
    </Dialog>
  );
};

/** Everyone: who they are signed in as, and their password (which confirms sensitive changes). */
export const AccountPage = ({ session }: { session: Session }) => {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const done = await action.run(() => session.call('/v1/me/password', { method: 'PUT', body: { ...(current ? { currentPassword: current } : {}), newPassword: next } }));
    if (done !== undefined) {
      setSaved(true);
      setCurrent('');
      setNext('');
    }
  };
  return (
    <section aria-labelledby="me-title">
      <h1 id="me-title">My account</h1>
      <dl className="facts">
        <dt>User id</dt>
        <dd>
          <code>{session.me.actor.id}</code>
        </dd>
        <dt>Signed in with</dt>
        <dd>{session.method === 'oauth' ? 'Keyhold sign-in' : 'an API token'}</dd>
        <dt>Permissions</dt>
        <dd>{session.me.permissions.join(', ')}</dd>
      </dl>
      <BrowserSessions session={session} path="/v1/me/sessions" title="Your sessions" canEnd />
      <form onSubmit={submit} noValidate className="narrow">
        <h2>Password</h2>
        <TextField label="Current password (if you have one)" name="currentPassword" error={action.error} type="password" autoComplete="current-password" value={current} onChange={setCurrent} />
        <TextField label="New password" name="newPassword" error={action.error} hint="At least 12 characters." type="password" autoComplete="new-password" value={next} onChange={setNext} />
        <Problem error={action.error} />
        {saved && <p role="status">Password saved.</p>}
        <button type="submit" className="primary" disabled={action.busy}>
          Save password
        </button>
      </form>
    </section>
  );
};
