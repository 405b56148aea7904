import { describe, expect, it } from 'vitest'
import { slugify } from './slug'

describe('slugify', () => {
  it.each([
    ['Acme Agency', 'acme-agency'],
    ['  Café  Crème! ', 'cafe-creme'],
    ['--x--', 'x'],
  ])('%s → %s', (name, want) => expect(slugify(name)).toBe(want))
})
