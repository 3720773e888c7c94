package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) checkCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Verify the directory's memberships and member fingerprints",
		Long: `Verify what the database schema does not enforce by itself: every membership
names an existing user and group, and every group's member fingerprint (which
lets a sync skip unchanged groups) matches its membership rows. Exits 0 when
the directory is consistent, 1 with the problems found otherwise. It reads the
whole directory in one read transaction and may run while the daemon runs.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			st, err := a.openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.CheckIntegrity(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "ok: every membership names an existing user and group; member fingerprints match")
			return nil
		},
	}
}
