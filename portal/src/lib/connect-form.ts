// Logic of the connect form generated from a connector's catalogue fields.
import type { Field } from '../api/types'

/** Values maps field names to what the user typed. */
export type Values = Record<string, string>

/** initialValues fills each field with its default. */
export function initialValues(fields: Field[]): Values {
  return Object.fromEntries(fields.map((f) => [f.name, f.default ?? '']))
}

/**
 * validateField checks one value the way the hub will: required, select
 * options and the catalogue's anchored pattern. It answers the message to
 * show, or undefined.
 */
export function validateField(f: Field, raw: string | undefined): string | undefined {
  const v = (raw ?? '').trim()
  if (!v) return f.required ? `${f.label} is required.` : undefined
  if (f.type === 'select' && f.options && !f.options.includes(v)) return `Choose one of: ${f.options.join(', ')}.`
  if (f.type === 'url' && !/^https?:\/\//i.test(v)) return `${f.label} must start with https:// (or http://).`
  if (f.pattern) {
    let re: RegExp
    try {
      re = new RegExp(f.pattern.startsWith('^') ? f.pattern : `^(?:${f.pattern})$`)
    } catch {
      return undefined // the hub checks it anyway
    }
    if (!re.test(v)) return `${f.label} does not look right.${f.placeholder ? ` Example: ${f.placeholder}` : ''}`
  }
  return undefined
}

/** validateAll checks every field and answers the messages by field name. */
export function validateAll(fields: Field[], values: Values): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of fields) {
    const msg = validateField(f, values[f.name])
    if (msg) out[f.name] = msg
  }
  return out
}

/** pickValues keeps the trimmed, non-empty values of the given fields. */
export function pickValues(fields: Field[], values: Values): Values {
  const out: Values = {}
  for (const f of fields) {
    const v = (values[f.name] ?? '').trim()
    if (v) out[f.name] = f.type === 'url' ? v.replace(/\/+$/, '') : v
  }
  return out
}

/**
 * fieldErrorsFromApi maps the hub's error keys ("config.site_url",
 * "credentials.api_key", "name") onto the form's field names.
 */
export function fieldErrorsFromApi(errors: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(errors)) {
    out[k.replace(/^(config|credentials)\./, '')] = v
  }
  return out
}
