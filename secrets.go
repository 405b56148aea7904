package hub

// Cipher encrypts secrets at rest. aad binds a ciphertext to where it is
// stored (for example "signing_keys:<kid>") so it cannot be moved elsewhere.
type Cipher interface {
	// Encrypt seals plaintext under the current key version.
	Encrypt(plaintext, aad []byte) ([]byte, error)
	// Decrypt opens a ciphertext sealed under any known key version.
	Decrypt(ciphertext, aad []byte) ([]byte, error)
	// Current reports whether ciphertext is sealed under the current key version.
	Current(ciphertext []byte) bool
}
