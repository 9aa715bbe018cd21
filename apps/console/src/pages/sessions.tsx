import { useState } from 'react';
import { Page } from '../api';
import { Session } from '../auth';
import { Confirm, DataTable, formatDate, Problem, useLoad } from '../ui';

type BrowserSession = { id: string; state: 'active' | 'expired' | 'ended'; startedAt: string; lastActiveAt: string; endedAt: string | null };

/** Whether this service has people's browser sessions at all (the sign-in of issue 15). */
export const useSessionsOffered = (session: Session): boolean => useLoad(() => session.call<Page<BrowserSession>>('/v1/me/sessions?limit=1')).data !== undefined;

/**
 * Browser sessions of a person signed in on Keyhold's sign-in page (issue 15): `/v1/me/sessions`
 * for oneself, `/v1/users/{id}/sessions` for an admin. Where the service has no sign-in (the
 * route answers 404) there is nothing to show, and nothing is.
 */
export const BrowserSessions = ({ session, path, title, canEnd }: { session: Session; path: string; title: string; canEnd: boolean }) => {
  const sessions = useLoad(() => session.call<Page<BrowserSession>>(`${path}?limit=50`), [path]);
  const [ending, setEnding] = useState<BrowserSession | null>(null);
  if (sessions.error?.problem.status === 404) return null;
  return (
    <article className="details" aria-labelledby="sessions-title">
      <h2 id="sessions-title">{title}</h2>
      <Problem error={sessions.error} />
      {sessions.data && (
        <DataTable columns={['Started', 'Last active', 'State', '']}>
          {sessions.data.items.map((browser) => (
            <tr key={browser.id}>
              <td>{formatDate(browser.startedAt)}</td>
              <td>{formatDate(browser.lastActiveAt)}</td>
              <td>{browser.state}</td>
              <td>
                {canEnd && browser.state === 'active' && (
                  <button type="button" className="danger" onClick={() => setEnding(browser)} aria-label={`End the session started ${formatDate(browser.startedAt)}`}>
                    End
                  </button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {ending && (
        <Confirm
          title="End this session?"
          action="End session"
          onClose={() => setEnding(null)}
          perform={() => session.call(`${path}/${ending.id}`, { method: 'DELETE' })}
          onDone={() => {
            setEnding(null);
            sessions.reload();
          }}
        >
          <p>The browser using it is signed out at once, on every node.</p>
        </Confirm>
      )}
    </article>
  );
};
