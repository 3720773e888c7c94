// Command dirsync keeps an application's user directory in step with Okta
// and Microsoft Entra ID: scheduled pulls, a SCIM 2.0 push endpoint, dry-run
// reports and an audit trail. This package only wires flags, configuration,
// logging and signals; the work happens in the packages it calls.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
	})
	stop()
	os.Exit(code)
}
