import { useState, type FormEvent } from 'react'
import { useLocation, useSearch } from 'wouter'
import { useSession } from '../session'
import { Button, InlineError, TextField } from '../ui'

/** safeNext keeps a post-login destination inside the portal. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return '/'
  return next
}

/** LoginPage signs a user in with email and password. */
export function LoginPage() {
  const { login } = useSession()
  const [, navigate] = useLocation()
  const search = useSearch()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await login(email.trim(), password)
      navigate(safeNext(new URLSearchParams(search).get('next')), { replace: true })
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="login-page">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to BizOS Hub</h1>
        <p className="muted">Connect your platforms once, then put them to work.</p>
        <TextField label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        <TextField label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <InlineError error={error} />
        <Button type="submit" variant="primary" busy={busy} style={{ width: '100%', justifyContent: 'center' }}>
          Sign in
        </Button>
      </form>
    </main>
  )
}
