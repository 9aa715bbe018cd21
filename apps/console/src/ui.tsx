import { FormEvent, InputHTMLAttributes, ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError } from './api';

export const formatDate = (value: string | null | undefined) => (value ? new Date(value).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC' : '—');

/** Loads once and on demand; a refusal is kept as the ApiError to show, never thrown at React. */
export const useLoad = <T,>(load: () => Promise<T>, deps: unknown[] = []) => {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const reload = useCallback(() => {
    load().then(
      (value) => {
        setData(value);
        setError(undefined);
      },
      (failure) => setError(asApiError(failure)),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(reload, [reload]);
  return { data, error, reload };
};

export const asApiError = (failure: unknown): ApiError =>
  failure instanceof ApiError ? failure : new ApiError({ status: 0, title: 'Something went wrong', detail: String(failure) });

/** Runs a form's action, keeping the API's refusal to show next to the fields it names. */
export const useAction = () => {
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const run = async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action();
    } catch (failure) {
      setError(asApiError(failure));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run };
};

export const Problem = ({ error }: { error?: ApiError }) =>
  error ? (
    <p className="problem" role="alert">
      <strong>{error.problem.title}</strong>
      {error.problem.detail && error.problem.detail !== error.problem.title ? ` ${error.problem.detail}` : ''}
    </p>
  ) : null;

type FieldProps = { label: string; name: string; error?: ApiError; hint?: ReactNode; children: (props: { id: string; name: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode };

/** A labelled control with the API's message for that field (by its name) right under it. */
export const Field = ({ label, name, error, hint, children }: FieldProps) => {
  const id = useId();
  const message = error?.forField(name);
  const described = [hint ? `${id}-hint` : '', message ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, name, 'aria-invalid': Boolean(message), 'aria-describedby': described })}
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {message && (
        <small id={`${id}-error`} className="field-error" role="alert">
          {message}
        </small>
      )}
    </div>
  );
};

/** A labelled text input (any `type`) bound to a string. */
export const TextField = ({ label, name, error, hint, value, onChange, ...input }: Omit<FieldProps, 'children'> & { value: string; onChange: (value: string) => void } & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'name'>) => (
  <Field label={label} name={name} error={error} hint={hint}>
    {(props) => <input {...input} {...props} value={value} onChange={(event) => onChange(event.target.value)} />}
  </Field>
);

/** How long after a dialog closes its opener may still vanish with the list it reloads. */
const RELOAD_WINDOW_MS = 10_000;

/**
 * The last element focused outside every dialog. A dialog opened from another one (a form's
 * result shown once) was opened by a button that is gone when it closes; focus then goes back to
 * where the person was before the first dialog.
 */
let focusedOutsideDialogs: HTMLElement | null = null;
document.addEventListener('focusin', (event) => {
  if (event.target instanceof HTMLElement && event.target !== document.body && !event.target.closest('dialog')) focusedOutsideDialogs = event.target;
});

/**
 * Focus goes back to what opened a dialog. When the dialog's own change takes that away (a revoked
 * token loses its Revoke button once the list reloads), focus would fall to the page body and a
 * keyboard or screen-reader user would start again from the top: it goes to the opener's row
 * instead (its row header), or to the page's heading when the row went too.
 */
const restoreFocus = (opener: HTMLElement | null) => {
  const target = opener?.isConnected ? opener : focusedOutsideDialogs?.isConnected ? focusedOutsideDialogs : null;
  if (!target) return;
  target.focus();
  const rowHeader = target.closest('tr')?.querySelector<HTMLElement>('th[scope="row"]') ?? null;
  const observer = new MutationObserver(() => {
    if (target.isConnected) return;
    stop();
    if (document.activeElement !== document.body && document.activeElement !== null) return;
    const fallback = rowHeader?.isConnected ? rowHeader : document.querySelector<HTMLElement>('main h1');
    if (!fallback) return;
    fallback.tabIndex = -1;
    fallback.focus();
  });
  const timer = setTimeout(() => stop(), RELOAD_WINDOW_MS);
  const stop = () => {
    observer.disconnect();
    clearTimeout(timer);
  };
  observer.observe(document.body, { childList: true, subtree: true });
};

/**
 * A modal dialog on the browser's own <dialog>: focus moves into it, Escape closes it, and focus
 * returns to what opened it (or where that stood, `restoreFocus`).
 */
export const Dialog = ({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) => {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    ref.current?.showModal();
    return () => restoreFocus(opener);
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onCancel={(event) => (event.preventDefault(), onClose())}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
};

/** Asks before something that cannot be undone, saying what will happen; shows the API's refusal in place. */
export const Confirm = <T,>({ title, children, action, perform, onDone, onClose }: { title: string; children: ReactNode; action: string; perform: () => Promise<T>; onDone: (result: T) => void; onClose: () => void }) => {
  const run = useAction();
  const confirm = async () => {
    const result = await run.run(perform);
    if (result !== undefined) onDone(result);
  };
  return (
    <Dialog title={title} onClose={onClose}>
      {children}
      <Problem error={run.error} />
      <div className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={run.busy} onClick={confirm}>
          {action}
        </button>
      </div>
    </Dialog>
  );
};

/** Deleting for good, with what it means for the thing deleted. */
export const ConfirmDelete = ({ name, what, perform, onClose, onDeleted, children }: { name: string; what: string; perform: () => Promise<unknown>; onClose: () => void; onDeleted: () => void; children: ReactNode }) => (
  <Confirm title={`Delete “${name}”?`} action={`Delete ${what}`} perform={perform} onClose={onClose} onDone={() => (onClose(), onDeleted())}>
    {children}
  </Confirm>
);

/** The end of a dialog's form: the API's refusal, then Cancel and the submit button. */
export const FormFooter = ({ error, busy, submit, onCancel }: { error?: ApiError; busy: boolean; submit: string; onCancel: () => void }) => (
  <>
    <Problem error={error} />
    <div className="actions">
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="primary" disabled={busy}>
        {submit}
      </button>
    </div>
  </>
);

/** A page's title, and its main action when the signed-in person may take it. */
export const PageHead = ({ id, title, action }: { id: string; title: string; action?: { label: string; onClick: () => void } | false }) => (
  <div className="page-head">
    <h1 id={id}>{title}</h1>
    {action && (
      <button type="button" className="primary" onClick={action.onClick}>
        {action.label}
      </button>
    )}
  </div>
);

/** Creating something that needs only a name (API clients, service accounts). */
export const NameDialog = <T,>({ title, hint, create, onClose, onCreated }: { title: string; hint?: string; create: (name: string) => Promise<T>; onClose: () => void; onCreated: (created: T) => void }) => {
  const [name, setName] = useState('');
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await action.run(() => create(name));
    if (created) onCreated(created);
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField label="Name" name="name" error={action.error} value={name} onChange={setName} autoFocus />
        {hint && <p className="hint">{hint}</p>}
        <FormFooter error={action.error} busy={action.busy} submit="Create" onCancel={onClose} />
      </form>
    </Dialog>
  );
};

/** OAuth clients (API clients, service accounts) as cards with their client ID; the one selected opens below the list. */
export const ClientCards = <T extends { id: string; name: string },>({ items, selected, onSelect, children }: { items?: T[]; selected: string | null; onSelect: (id: string) => void; children: (item: T) => ReactNode }) => (
  <ul className="cards">
    {items?.map((item) => (
      <li key={item.id} className={item.id === selected ? 'card selected' : 'card'}>
        <button type="button" className="link" onClick={() => onSelect(item.id)} aria-expanded={item.id === selected}>
          {item.name}
        </button>
        <div>
          <code>{item.id}</code>
        </div>
        <small>{children(item)}</small>
      </li>
    ))}
  </ul>
);

/** Copies to the clipboard and says so; the value goes nowhere else. */
export const CopyButton = ({ value, label }: { value: string; label: string }) => {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      aria-label={`Copy ${label}`}
      onClick={() =>
        navigator.clipboard.writeText(value).then(
          () => setCopied(true),
          () => setCopied(false),
        )
      }
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
};

export type Secret = { label: string; value: string };

/** Offers text as a file made in the browser; nothing is sent or kept. */
export const download = (fileName: string, text: string, type: string) => {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
};

const saveToFile = (fileName: string, secrets: Secret[]) => download(fileName, secrets.map((secret) => `${secret.label}: ${secret.value}`).join('\n') + '\n', 'text/plain');

/** Secrets shown this once: kept only in this dialog's props, gone when it closes. */
export const SecretsOnce = ({ title, secrets, onClose, fileName }: { title: string; secrets: Secret[]; onClose: () => void; fileName?: string }) => (
  <Dialog title={title} onClose={onClose}>
    <p className="warning" role="note">
      Copy {secrets.length > 1 ? 'these values' : 'this value'} now: you will not see {secrets.length > 1 ? 'them' : 'it'} again.
    </p>
    <dl className="secrets">
      {secrets.map((secret) => (
        <div key={secret.label} className="secret">
          <dt>{secret.label}</dt>
          <dd>
            <code data-secret={secret.label}>{secret.value}</code> <CopyButton value={secret.value} label={secret.label} />
          </dd>
        </div>
      ))}
    </dl>
    <div className="actions">
      {fileName && (
        <button type="button" onClick={() => saveToFile(fileName, secrets)}>
          Save to File
        </button>
      )}
      <button type="button" className="primary" onClick={onClose}>
        Done
      </button>
    </div>
  </Dialog>
);

export const Empty = ({ children }: { children: ReactNode }) => <p className="empty">{children}</p>;

/** A table that scrolls in its own box at a phone's width; an empty column name is read out as "Actions". */
export const DataTable = ({ columns, label, children }: { columns: string[]; label?: string; children: ReactNode }) => (
  <div className="table">
    <table aria-label={label}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column || 'actions'} scope="col">
              {column || <span className="sr-only">Actions</span>}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
);

/** A list of things, each with a button that removes it. */
export const RemovableRows = <T,>({ items, keyOf, describe, removeLabel, onRemove }: { items?: T[]; keyOf: (item: T) => string; describe: (item: T) => ReactNode; removeLabel: (item: T) => string; onRemove: (item: T) => void }) => (
  <ul className="rows">
    {items?.map((item) => (
      <li key={keyOf(item)}>
        {describe(item)}{' '}
        <button type="button" className="danger" aria-label={removeLabel(item)} onClick={() => onRemove(item)}>
          Remove
        </button>
      </li>
    ))}
  </ul>
);
