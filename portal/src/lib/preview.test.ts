import { describe, expect, it } from 'vitest'
import { cell, previewPath, previews } from './preview'

describe('previews', () => {
  it('covers the 13 platforms', () => {
    expect(Object.keys(previews).sort()).toEqual(
      ['fluentcrm', 'google-ads', 'google-analytics', 'google-search-console', 'hubspot', 'mailchimp', 'meta-ads', 'shopify', 'slack', 'stripe', 'woocommerce', 'wordpress', 'zoho-crm'].sort(),
    )
  })
  it('fills config values into the path', () => {
    expect(previewPath(previews['meta-ads'], { ad_account_id: 'act_123' })).toBe('act_123/campaigns?fields=name,status,objective&limit=10')
    expect(previewPath(previews['google-analytics'], { property_id: '42' })).toBe('properties/42:runReport')
  })
  it('tabulates a Stripe list', () => {
    const rows = previews.stripe.rows({ object: 'list', data: [{ id: 'cus_1', email: 'jo@example.com', name: null, created: 0 }] })
    expect(rows).toEqual([{ id: 'cus_1', email: 'jo@example.com', name: '', created: '' }])
  })
  it('tabulates HubSpot contacts and WordPress posts', () => {
    expect(previews.hubspot.rows({ results: [{ id: '7', properties: { email: 'a@b.c', firstname: 'Ann', lastname: null } }] })).toEqual([{ id: '7', email: 'a@b.c', name: 'Ann' }])
    expect(previews.wordpress.rows([{ id: 1, title: { rendered: 'Hello' }, status: 'publish', date: '2026-01-01' }])).toEqual([{ id: 1, title: 'Hello', status: 'publish', date: '2026-01-01' }])
  })
  it('answers no rows for an unexpected body', () => {
    expect(previews.stripe.rows({ error: 'x' })).toEqual([])
    expect(previews.shopify.rows(null)).toEqual([])
  })
  it('renders cells', () => {
    expect(cell(null)).toBe('—')
    expect(cell(3)).toBe('3')
    expect(cell({ a: 1 })).toBe('{"a":1}')
  })
})
