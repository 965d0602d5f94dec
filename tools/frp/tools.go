//go:build tools

// Package tools pins the frp commands that scripts/build-frp.sh builds. The blank imports of main
// packages never compile (the "tools" tag is never set); they only make `go mod tidy` keep frp's
// dependencies in go.mod and go.sum.
package tools

import (
	_ "github.com/fatedier/frp/cmd/frpc"
	_ "github.com/fatedier/frp/cmd/frps"
)
