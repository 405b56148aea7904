// Package migrations embeds the numbered SQL migrations of the hub's database.
package migrations

import "embed"

// FS holds the migration files, named NNNN_description.sql and applied in
// lexical order.
//
//go:embed *.sql
var FS embed.FS
