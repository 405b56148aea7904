import { describe, expect, it } from 'vitest'
import type { Field } from '../api/types'
import { fieldErrorsFromApi, initialValues, pickValues, validateAll, validateField } from './connect-form'

const siteURL: Field = { name: 'site_url', label: 'Site URL', help: '', type: 'url', required: true, pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$', placeholder: 'https://www.example.com' }
const shop: Field = { name: 'shop', label: 'Shop', help: '', type: 'text', required: true, pattern: '[a-z0-9][a-z0-9-]*' }
const dc: Field = { name: 'data_center', label: 'Data centre', help: '', type: 'select', required: true, options: ['us', 'eu'], default: 'us' }
const note: Field = { name: 'note', label: 'Note', help: '', type: 'text', required: false }

describe('validateField', () => {
  it.each([
    [siteURL, '', 'Site URL is required.'],
    [siteURL, 'blog.example.com', 'Site URL must start with https:// (or http://).'],
    [siteURL, 'https://blog example.com', 'Site URL does not look right. Example: https://www.example.com'],
    [siteURL, 'https://blog.example.com/', undefined],
    [shop, 'Acme Store', 'Shop does not look right.'],
    [shop, 'acme-store', undefined],
    [dc, 'mars', 'Choose one of: us, eu.'],
    [dc, 'eu', undefined],
    [note, '', undefined],
  ])('%s %j', (field, value, want) => {
    expect(validateField(field, value)).toBe(want)
  })
})

describe('form values', () => {
  it('starts from defaults and reports every bad field', () => {
    const fields = [siteURL, dc, note]
    const values = initialValues(fields)
    expect(values).toEqual({ site_url: '', data_center: 'us', note: '' })
    expect(validateAll(fields, values)).toEqual({ site_url: 'Site URL is required.' })
  })
  it('trims, drops empty values and the trailing slash of URLs', () => {
    expect(pickValues([siteURL, note], { site_url: ' https://a.example/ ', note: '  ' })).toEqual({ site_url: 'https://a.example' })
  })
  it('maps the API error keys onto field names', () => {
    expect(fieldErrorsFromApi({ 'config.site_url': 'unreachable', 'credentials.api_key': 'refused', name: 'taken' })).toEqual({
      site_url: 'unreachable',
      api_key: 'refused',
      name: 'taken',
    })
  })
})
