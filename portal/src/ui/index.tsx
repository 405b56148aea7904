// The portal's small component kit: buttons, fields, states, dialogs, tables.
// Plain elements with labels wired for assistive technology; styles in styles.css.
import {
  useEffect,
  useId,
  useRef,
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react'
import { Link } from 'wouter'
import { ApiError } from '../api/client'
import { titleCase } from '../lib/format'

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost'
  busy?: boolean
}

/** Button is a button; busy disables it and says so. */
export function Button({ variant = 'secondary', busy, disabled, children, className, type = 'button', ...rest }: ButtonProps) {
  return (
    <button
      type={type}
      className={`btn btn-${variant}${className ? ` ${className}` : ''}`}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy && <span className="spinner spinner-sm" aria-hidden="true" />}
      {children}
    </button>
  )
}

interface FieldFrameProps {
  label: ReactNode
  help?: ReactNode
  error?: string
  required?: boolean
  children: (ids: { id: string; describedBy?: string; invalid: boolean }) => ReactNode
}

/** FieldFrame lays out a label, an input, its help and its error. */
export function FieldFrame({ label, help, error, required, children }: FieldFrameProps) {
  const id = useId()
  const helpId = help ? `${id}-help` : undefined
  const errId = error ? `${id}-err` : undefined
  const describedBy = [errId, helpId].filter(Boolean).join(' ') || undefined
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {label}
        {required && <span className="req" aria-hidden="true"> *</span>}
      </label>
      {children({ id, describedBy, invalid: !!error })}
      {error && (
        <p className="field-error" id={errId} role="alert">
          {error}
        </p>
      )}
      {help && (
        <p className="field-help" id={helpId}>
          {help}
        </p>
      )}
    </div>
  )
}

type TextFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'children'> & { label: ReactNode; help?: ReactNode; error?: string }

/** TextField is a labelled input. */
export function TextField({ label, help, error, required, ...rest }: TextFieldProps) {
  return (
    <FieldFrame label={label} help={help} error={error} required={required}>
      {({ id, describedBy, invalid }) => (
        <input id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} required={required} {...rest} />
      )}
    </FieldFrame>
  )
}

type TextAreaProps = TextareaHTMLAttributes<HTMLTextAreaElement> & { label: ReactNode; help?: ReactNode; error?: string }

/** TextArea is a labelled multi-line input. */
export function TextArea({ label, help, error, required, ...rest }: TextAreaProps) {
  return (
    <FieldFrame label={label} help={help} error={error} required={required}>
      {({ id, describedBy, invalid }) => (
        <textarea id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} required={required} {...rest} />
      )}
    </FieldFrame>
  )
}

type SelectFieldProps = SelectHTMLAttributes<HTMLSelectElement> & { label: ReactNode; help?: ReactNode; error?: string }

/** SelectField is a labelled select. */
export function SelectField({ label, help, error, required, children, ...rest }: SelectFieldProps) {
  return (
    <FieldFrame label={label} help={help} error={error} required={required}>
      {({ id, describedBy, invalid }) => (
        <select id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} required={required} {...rest}>
          {children}
        </select>
      )}
    </FieldFrame>
  )
}

const statusTone: Record<string, string> = {
  connected: 'ok',
  active: 'ok',
  ok: 'ok',
  succeeded: 'ok',
  delivered: 'ok',
  completed: 'ok',
  enabled: 'ok',
  running: 'info',
  pending: 'info',
  waiting: 'info',
  waiting_approval: 'warn',
  expired: 'warn',
  degraded: 'warn',
  suspended: 'warn',
  retrying: 'warn',
  disabled: 'muted',
  not_connected: 'muted',
  cancelled: 'muted',
  skipped: 'muted',
  error: 'bad',
  failed: 'bad',
  down: 'bad',
  dead: 'bad',
}

/** StatusBadge shows a status word with a colour that matches its meaning. */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const tone = statusTone[status] ?? 'muted'
  return <span className={`badge badge-${tone}`}>{label ?? titleCase(status)}</span>
}

/** Badge is a neutral tag. */
export function Badge({ children }: { children: ReactNode }) {
  return <span className="badge badge-muted">{children}</span>
}

/** Loading is a polite progress message. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  )
}

/** EmptyState says there is nothing yet and what to do about it. */
export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children && <p>{children}</p>}
      {action}
    </div>
  )
}

/** nextStep says what a user can do about an error. */
export function nextStep(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Reload the page; if it keeps failing, tell your administrator.'
  switch (err.code) {
    case 'network':
      return 'Check that the hub is running and your network is up, then try again.'
    case 'forbidden':
      return 'Your role does not allow this. Ask a tenant admin for access.'
    case 'not_found':
      return 'It may have been deleted. Go back to the list.'
    case 'unavailable':
      return 'A service the hub needs is down. Try again in a moment; the health page shows which.'
    case 'rate_limited':
      return 'Too many requests. Wait a little and try again.'
    case 'invalid':
    case 'conflict':
      return 'Correct the highlighted values and try again.'
    default:
      return err.requestId ? `Try again. If it persists, quote request ${err.requestId}.` : 'Try again.'
  }
}

/** ErrorState shows a failed load with what to do next and a retry. */
export function ErrorState({ error, retry, title = 'Something went wrong' }: { error: unknown; retry?: () => void; title?: string }) {
  const message = error instanceof Error ? error.message : String(error)
  return (
    <div className="error-state" role="alert">
      <h3>{title}</h3>
      <p>{message}</p>
      <p className="muted">{nextStep(error)}</p>
      {retry && <Button onClick={retry}>Try again</Button>}
    </div>
  )
}

/** InlineError shows a failed action next to its form. */
export function InlineError({ error }: { error: unknown }) {
  if (!error) return null
  const message = error instanceof Error ? error.message : String(error)
  return (
    <div className="inline-error" role="alert">
      <strong>{message}</strong> <span className="muted">{nextStep(error)}</span>
    </div>
  )
}

/** PageHeader is a page's title, description and main actions. */
export function PageHeader({ title, description, actions, back }: { title: ReactNode; description?: ReactNode; actions?: ReactNode; back?: { href: string; label: string } }) {
  return (
    <header className="page-header">
      <div>
        {back && (
          <Link href={back.href} className="back-link">
            ← {back.label}
          </Link>
        )}
        <h1>{title}</h1>
        {description && <p className="muted">{description}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  )
}

/** Card is a bordered section with an optional heading. */
export function Card({ title, actions, children, className, label }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; label?: string }) {
  return (
    <section className={`card${className ? ` ${className}` : ''}`} aria-label={label}>
      {(title || actions) && (
        <div className="card-head">
          {title && <h2>{title}</h2>}
          {actions}
        </div>
      )}
      {children}
    </section>
  )
}

/** Dialog is a modal dialog on the native <dialog> element (focus trapped, Esc closes). */
export function Dialog({ open, title, onClose, children, footer }: { open: boolean; title: string; onClose: () => void; children: ReactNode; footer?: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const d = ref.current
    if (!d) return
    if (open && !d.open) d.showModal?.()
    if (!open && d.open) d.close?.()
  }, [open])
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      {open && (
        <>
          <div className="dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </div>
          <div className="dialog-body">{children}</div>
          {footer && <div className="dialog-foot">{footer}</div>}
        </>
      )}
    </dialog>
  )
}

/** Tabs is a row of links between the sections of a page. */
export function Tabs({ tabs, current }: { tabs: { href: string; label: string; id: string }[]; current: string }) {
  return (
    <nav className="tabs" aria-label="Sections">
      {tabs.map((t) => (
        <Link key={t.id} href={t.href} className={t.id === current ? 'tab active' : 'tab'} aria-current={t.id === current ? 'page' : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  )
}

/** ProgressBar shows how far a long operation is. */
export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = Math.max(0, Math.min(100, Math.round(value * 100)))
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div className="progress-bar" style={{ width: `${pct}%` }} />
    </div>
  )
}

/** CopyField shows a value with a copy button (webhook URLs, one-time secrets). */
export function CopyField({ label, value }: { label: string; value: string }) {
  const id = useId()
  return (
    <div className="field copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input id={id} readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
        <Button onClick={() => void navigator.clipboard?.writeText(value)} aria-label={`Copy ${label}`}>
          Copy
        </Button>
      </div>
    </div>
  )
}
