package main

import "github.com/spf13/cobra"

// extraCommands are the commands beyond configuration and tokens: running
// syncs, testing sources, the daemon, its status and the demo.
func (a *app) extraCommands() []*cobra.Command {
	return []*cobra.Command{a.syncCommand(), a.sourceCommand(), a.serveCommand(), a.statusCommand(), a.demoCommand()}
}
