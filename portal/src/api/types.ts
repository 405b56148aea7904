// Shapes of the hub's answers that several screens share.

/** Role is a user's role inside a tenant. */
export type Role = 'tenant_admin' | 'member' | 'viewer'

/** User is an account. */
export interface User {
  id: string
  email: string
  super_admin: boolean
  created_at: string
}

/** Membership is a user's role in one tenant. */
export interface Membership {
  tenant_id: string
  tenant_name?: string
  user_id: string
  email: string
  role: Role
  created_at: string
}

/** Me is GET /auth/me. */
export interface Me {
  user: User
  tenant_id: string
  role?: Role
  memberships: Membership[]
}

/** Tenant is a customer account of the hub. */
export interface Tenant {
  id: string
  name: string
  slug: string
  status: 'active' | 'suspended'
  created_at: string
}

/** Field is one input of a connect form. */
export interface Field {
  name: string
  label: string
  help: string
  type: 'text' | 'url' | 'password' | 'select' | string
  required: boolean
  pattern?: string
  options?: string[]
  default?: string
  placeholder?: string
}

/** AuthMode is one way to connect a platform. */
export interface AuthMode {
  kind: 'oauth2' | 'api_key'
  label: string
  credential_fields?: Field[]
}

/** ConnectionStatus is the state of a connection, or not_connected for a card. */
export type ConnectionStatus = 'connected' | 'expired' | 'error' | 'not_connected'

/** Action is a typed operation of a connector. */
export interface Action {
  name: string
  provider: string
  title: string
  description: string
  write: boolean
  input_schema: unknown
  output_schema: unknown
}

/** Connector is a catalogue card with the tenant's state. */
export interface Connector {
  id: string
  name: string
  category: string
  logo: string
  description: string
  docs_url: string
  config_fields: Field[]
  auth_modes: AuthMode[]
  status: ConnectionStatus
  connections: number
  last_error?: string
  actions: Action[]
}

/** Connection is a tenant's account at a platform (never with credentials). */
export interface Connection {
  id: string
  tenant_id: string
  provider: string
  name: string
  auth_mode: string
  config: Record<string, string>
  scopes?: string[]
  status: Exclude<ConnectionStatus, 'not_connected'>
  last_error?: string
  last_checked_at?: string
  token_expires_at?: string
  created_at: string
  updated_at: string
  inbound_webhook_url?: string
}
