import { FormEvent, useState } from 'react';
import { ApiError, Page } from '../api';
import { Session } from '../auth';
import { download, Empty, Field, formatDate, Problem, useAction, useLoad, DataTable, TextField } from '../ui';

type Entry = { eventId: string; position: string; type: string; occurredAt: string; actorId: string; reason: string | null; subject: { kind: string; id: string }; data: Record<string, string | null> };
type Filters = { kind: string; id: string; actor: string; type: string; from: string; to: string };
const KINDS = ['personal_api_token', 'service_account', 'api_client', 'connection', 'integration', 'access_token', 'user', 'tenant'];
const CREDENTIAL_KINDS = KINDS.slice(0, 5);
const EMPTY: Filters = { kind: '', id: '', actor: '', type: '', from: '', to: '' };

/** `datetime-local` values are read as UTC, as the history shows them. */
const instant = (local: string) => (local ? new Date(`${local}:00Z`).toISOString() : '');
const queryOf = (filters: Filters) => {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, name === 'from' || name === 'to' ? instant(value) : value);
  return query;
};

/** For auditors: what happened to which credential, by whom, when; and a credential as it was. */
export const HistoryPage = ({ session }: { session: Session }) => {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [timeline, setTimeline] = useState<{ kind: string; id: string; entries: Entry[] } | null>(null);
  const action = useAction();
  const search = async (event?: FormEvent, after?: string) => {
    event?.preventDefault();
    const query = queryOf(filters);
    query.set('limit', '50');
    if (after) query.set('cursor', after);
    const page = await action.run(() => session.call<Page<Entry>>(`/v1/history?${query}`));
    if (!page) return;
    setEntries((shown) => (after && shown ? [...shown, ...page.items] : page.items));
    setCursor(page.nextCursor);
  };
  const openTimeline = async (kind: string, id: string) => {
    const page = await action.run(() => session.call<Page<Entry>>(`/v1/history?kind=${kind}&id=${encodeURIComponent(id)}&limit=200`));
    if (page) setTimeline({ kind, id, entries: page.items });
  };
  const exportNdjson = async () => {
    const text = await action.run(() => session.call<string>(`/v1/history/export?${queryOf(filters)}`, { headers: { Accept: 'application/x-ndjson' } }));
    if (text !== undefined) download('keyhold-history.ndjson', typeof text === 'string' ? text : '', 'application/x-ndjson');
  };
  const set = (name: keyof Filters) => (value: string) => setFilters({ ...filters, [name]: value });
  return (
    <section aria-labelledby="hi-title">
      <h1 id="hi-title">History</h1>
      <Expiring session={session} />
      <form className="filters" onSubmit={search} noValidate>
        <Field label="Kind" name="kind" error={action.error}>
          {(props) => (
            <select {...props} value={filters.kind} onChange={(event) => set('kind')(event.target.value)}>
              <option value="">Any</option>
              {KINDS.map((kind) => (
                <option key={kind}>{kind}</option>
              ))}
            </select>
          )}
        </Field>
        <TextField label="Subject id" name="id" error={action.error} value={filters.id} onChange={set('id')} />
        <TextField label="Actor" name="actor" error={action.error} value={filters.actor} onChange={set('actor')} />
        <TextField label="Event types" name="type" error={action.error} hint="Comma-separated, e.g. TokenIssued,TokenRevoked" value={filters.type} onChange={set('type')} />
        <TextField label="From (UTC)" name="from" error={action.error} type="datetime-local" value={filters.from} onChange={set('from')} />
        <TextField label="To (UTC)" name="to" error={action.error} type="datetime-local" value={filters.to} onChange={set('to')} />
        <div className="actions">
          <button type="submit" className="primary">
            Search
          </button>
          <button type="button" onClick={exportNdjson}>
            Export NDJSON
          </button>
        </div>
      </form>
      <Problem error={action.error} />
      {entries && entries.length === 0 && <Empty>No events match.</Empty>}
      {entries && entries.length > 0 && (
        <DataTable columns={['When', 'Event', 'Subject', 'Actor', 'Reason']} label="Events">
          {entries.map((entry) => (
            <tr key={entry.eventId}>
              <td>{formatDate(entry.occurredAt)}</td>
              <th scope="row">{entry.type}</th>
              <td>
                <button type="button" className="link" onClick={() => openTimeline(entry.subject.kind, entry.subject.id)} aria-label={`Timeline of ${entry.subject.kind} ${entry.subject.id}`}>
                  {entry.subject.kind} {entry.subject.id.slice(0, 8)}
                </button>
              </td>
              <td>
                <code>{entry.actorId.slice(0, 13)}</code>
              </td>
              <td>{entry.reason ?? ''}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {cursor && (
        <button type="button" onClick={() => search(undefined, cursor)}>
          Load more
        </button>
      )}
      {timeline && <Timeline {...timeline} />}
      <StateAt key={timeline?.id ?? ''} session={session} initial={timeline} />
    </section>
  );
};

/** A credential's life drawn as a line of its events. */
const Timeline = ({ kind, id, entries }: { kind: string; id: string; entries: Entry[] }) => (
  <article className="details" aria-labelledby="tl-title">
    <h2 id="tl-title">
      Timeline of {kind} <code>{id}</code>
    </h2>
    <ol className="timeline">
      {entries.map((entry) => (
        <li key={entry.eventId}>
          <time dateTime={entry.occurredAt}>{formatDate(entry.occurredAt)}</time>
          <strong>{entry.type}</strong>
          <span>
            by <code>{entry.actorId.slice(0, 13)}</code>
            {entry.reason ? `: ${entry.reason}` : ''}
          </span>
        </li>
      ))}
    </ol>
  </article>
);

const StateAt = ({ session, initial }: { session: Session; initial: { kind: string; id: string } | null }) => {
  const [form, setForm] = useState({ kind: initial && CREDENTIAL_KINDS.includes(initial.kind) ? initial.kind : 'personal_api_token', id: initial?.id ?? '', at: '' });
  const [state, setState] = useState<Record<string, unknown> | null>(null);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const query = new URLSearchParams({ kind: form.kind, id: form.id });
    if (form.at) query.set('at', instant(form.at));
    setState((await action.run(() => session.call<Record<string, unknown>>(`/v1/history/state?${query}`))) ?? null);
  };
  return (
    <article className="details" aria-labelledby="st-title">
      <h2 id="st-title">State at an instant</h2>
      <form className="filters" onSubmit={submit} noValidate>
        <Field label="Credential kind" name="kind" error={action.error}>
          {(props) => (
            <select {...props} value={form.kind} onChange={(event) => setForm({ ...form, kind: event.target.value })}>
              {CREDENTIAL_KINDS.map((kind) => (
                <option key={kind}>{kind}</option>
              ))}
            </select>
          )}
        </Field>
        <TextField label="Credential id" name="id" error={action.error} value={form.id} onChange={(value) => setForm({ ...form, id: value })} />
        <TextField label="At (UTC, empty for now)" name="at" error={action.error} type="datetime-local" value={form.at} onChange={(value) => setForm({ ...form, at: value })} />
        <div className="actions">
          <button type="submit">Show state</button>
        </div>
      </form>
      <Problem error={action.error} />
      {state && (
        <dl className="facts" aria-label="Credential state">
          {Object.entries(state).map(([name, value]) => (
            <div key={name} className="fact">
              <dt>{name}</dt>
              <dd>{typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}</dd>
            </div>
          ))}
        </dl>
      )}
    </article>
  );
};

type Expiry = { id: string; clientId: string; clientName: string | null; hint: string; expiresAt: string };
const DAY_MS = 86_400_000;

/** API client secrets expiring within 30 days, each as a bar as long as the time it has left. */
const Expiring = ({ session }: { session: Session }) => {
  const expiring = useLoad(() => session.call<Page<Expiry>>('/v1/history/expiring-secrets?expiringWithinDays=30'));
  const now = Date.now();
  return (
    <article className="details" aria-labelledby="ex-title">
      <h2 id="ex-title">Secrets expiring in the next 30 days</h2>
      <Problem error={expiring.error as ApiError | undefined} />
      {expiring.data?.items.length === 0 && <Empty>None.</Empty>}
      <ul className="bars">
        {expiring.data?.items.map((secret) => {
          const days = Math.max(0, (Date.parse(secret.expiresAt) - now) / DAY_MS);
          return (
            <li key={secret.id}>
              <span>
                {secret.clientName ?? secret.clientId} <code>{secret.hint}</code>: {Math.floor(days)} days left ({formatDate(secret.expiresAt)})
              </span>
              <meter min={0} max={30} value={days} aria-label={`${Math.floor(days)} of 30 days left`} />
            </li>
          );
        })}
      </ul>
    </article>
  );
};
