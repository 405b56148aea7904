// Small pieces the integrations screens share: copy buttons, one-time
// secrets, confirmations, expandable rows and times.
import { useEffect, useId, useRef, useState, type ReactNode, type TextareaHTMLAttributes } from 'react'
import { dateTime, relativeTime } from '../../lib/format'
import { prettyJson } from '../../lib/integrations'
import { Button, CopyField, Dialog, InlineError } from '../../ui'

/** When shows an instant as "3 minutes ago" with the full date on hover. */
export function When({ iso, fallback = '—' }: { iso?: string | null; fallback?: string }) {
  if (!iso) return <span className="muted">{fallback}</span>
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {relativeTime(iso)}
    </time>
  )
}

/** CopyButton copies a value and says so. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false)
  useEffect(() => {
    if (!copied) return
    const t = setTimeout(() => setCopied(false), 1500)
    return () => clearTimeout(t)
  }, [copied])
  return (
    <>
      <Button
        variant="secondary"
        className="intg-btn-sm"
        aria-label={label}
        onClick={() => {
          navigator.clipboard
            ?.writeText(value)
            .then(() => setCopied(true))
            .catch(() => setCopied(false))
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </Button>
      <span className="sr-only" role="status">
        {copied ? 'Copied to the clipboard' : ''}
      </span>
    </>
  )
}

/** OneTimeSecret shows a secret that the hub will never show again. */
export function OneTimeSecret({ label, value, children }: { label: string; value: string; children?: ReactNode }) {
  return (
    <>
      <div className="notice notice-warn" role="alert">
        <strong>Copy it now: it will not be shown again.</strong> The hub keeps only a sealed copy or a hash. If you lose it, make a new one.
      </div>
      <CopyField label={label} value={value} />
      {children}
    </>
  )
}

/** useRestoreFocus puts focus back where it was when a dialog mounted. */
export function useRestoreFocus() {
  const ref = useRef<Element | null>(null)
  useEffect(() => {
    ref.current = document.activeElement
    return () => {
      const el = ref.current
      if (el instanceof HTMLElement && el.isConnected) setTimeout(() => el.focus(), 0)
    }
  }, [])
}

/** ConfirmDialog asks before something that cannot be undone. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  cancelLabel = 'Cancel',
  busy,
  error,
  onConfirm,
  onClose,
  variant = 'danger',
}: {
  title: string
  children: ReactNode
  confirmLabel: string
  cancelLabel?: string
  busy?: boolean
  error?: unknown
  onConfirm: () => void
  onClose: () => void
  variant?: 'danger' | 'primary'
}) {
  useRestoreFocus()
  return (
    <Dialog
      open
      title={title}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{cancelLabel}</Button>
          <Button variant={variant} busy={busy} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      {children}
      <InlineError error={error} />
    </Dialog>
  )
}

/** ExpandButton toggles a detail row; controls names the row's id. */
export function ExpandButton({ open, onToggle, controls, show, hide }: { open: boolean; onToggle: () => void; controls: string; show: string; hide: string }) {
  return (
    <Button variant="ghost" className="intg-btn-sm" aria-expanded={open} aria-controls={controls} onClick={onToggle}>
      {open ? hide : show}
    </Button>
  )
}

/** useExpanded tracks which rows of a table are open. */
export function useExpanded() {
  const [open, setOpen] = useState<Record<string, boolean>>({})
  return {
    isOpen: (id: string) => !!open[id],
    toggle: (id: string) => setOpen((o) => ({ ...o, [id]: !o[id] })),
  }
}

/** Json shows a JSON value, pretty-printed. */
export function Json({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre className="intg-json" aria-label={label} tabIndex={0}>
      {prettyJson(value)}
    </pre>
  )
}

type CodeAreaProps = TextareaHTMLAttributes<HTMLTextAreaElement> & { label: ReactNode; help?: ReactNode; error?: string }

/**
 * CodeArea is a labelled monospace textarea whose error keeps its line
 * breaks (CEL and JSON errors quote the line with a caret under the spot).
 */
export function CodeArea({ label, help, error, required, className, ...rest }: CodeAreaProps) {
  const id = useId()
  const helpId = help ? `${id}-help` : undefined
  const errId = error ? `${id}-err` : undefined
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {label}
        {required && (
          <span className="req" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      <textarea
        id={id}
        className={`intg-code${className ? ` ${className}` : ''}`}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        aria-invalid={error ? true : undefined}
        aria-describedby={[errId, helpId].filter(Boolean).join(' ') || undefined}
        required={required}
        {...rest}
      />
      {error && (
        <pre className="intg-code-error" id={errId} role="alert">
          {error}
        </pre>
      )}
      {help && (
        <p className="field-help" id={helpId}>
          {help}
        </p>
      )}
    </div>
  )
}

/** useDebounced answers value once it has not changed for ms. */
export function useDebounced<T>(value: T, ms = 300): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms)
    return () => clearTimeout(t)
  }, [value, ms])
  return v
}
