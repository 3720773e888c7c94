package main

import "github.com/spf13/cobra"

// extraCommands are the commands beyond configuration and tokens: running
// syncs and testing sources.
func (a *app) extraCommands() []*cobra.Command {
	return []*cobra.Command{a.syncCommand(), a.sourceCommand()}
}
