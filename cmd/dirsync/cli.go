package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/store"
)

// Exit codes, documented in `dirsync --help` and the README.
const (
	exitOK = 0
	// exitError: the command failed (IdP unreachable, database error, ...).
	exitError = 1
	// exitUsage: bad flags, arguments or configuration.
	exitUsage = 2
	// exitPending: a dry run found changes that an apply would make.
	exitPending = 3
	// exitHeld: the deletion guard held deactivations.
	exitHeld = 4
)

const exitCodesHelp = `Exit codes:
  0  success (for sync --dry-run: nothing to change)
  1  error: the command failed
  2  usage: bad flags, arguments or configuration
  3  sync --dry-run: changes are pending
  4  sync: the deletion guard held deactivations (re-run with --allow-deactivations
     or raise safety.max_deactivations / max_deactivation_percent)`

// env is what a command may touch of the outside world; tests inject it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// version overrides the build's version string in tests.
	version string
}

// exitErr carries an exit code through cobra.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

// usageArgs makes a positional-argument check's failure a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &exitErr{code: exitUsage, err: err}
		}
		return nil
	}
}

func usageErr(format string, args ...any) error {
	return &exitErr{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// app holds what the global flags select.
type app struct {
	env        env
	configPath string
	logLevel   string
	output     string
}

func run(ctx context.Context, args []string, e env) int {
	a := &app{env: e}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if strings.HasPrefix(err.Error(), "unknown command") {
		// cobra's own error for a mistyped subcommand: a usage error.
		err = &exitErr{code: exitUsage, err: err}
	}
	var ee *exitErr
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(e.stderr, "dirsync:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(e.stderr, "dirsync:", err)
	return exitError
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "dirsync",
		Short: "Keep an application's directory in step with Okta and Microsoft Entra ID",
		Long: `dirsync provisions users and groups from Okta and Microsoft Entra ID into an
application's directory: scheduled pulls through the IdPs' APIs, a SCIM 2.0
endpoint the IdPs push to, dry-run reports, and an audit trail of every change.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitErr{exitUsage, err} })
	pf := root.PersistentFlags()
	pf.StringVarP(&a.configPath, "config", "c", "", "configuration file (default $DIRSYNC_CONFIG, else /etc/dirsync/dirsync.hcl)")
	pf.StringVar(&a.logLevel, "log-level", "", "override log_level: trace, debug, info, warn, error")
	root.AddCommand(
		a.versionCommand(),
		a.configCommand(),
		a.tokenCommand(),
		a.auditCommand(),
		a.checkCommand(),
	)
	for _, c := range a.extraCommands() {
		root.AddCommand(c)
	}
	return root
}

// addOutputFlag adds --output to commands whose output is data.
func (a *app) addOutputFlag(c *cobra.Command) {
	c.Flags().StringVarP(&a.output, "output", "o", "text", "output format: text or json")
	prev := c.PreRunE
	c.PreRunE = func(cmd *cobra.Command, args []string) error {
		if a.output != "text" && a.output != "json" {
			return usageErr("--output: %q is not text or json", a.output)
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
}

func (a *app) resolveConfigPath() string {
	if a.configPath != "" {
		return a.configPath
	}
	if p := a.env.getenv("DIRSYNC_CONFIG"); p != "" {
		return p
	}
	return "/etc/dirsync/dirsync.hcl"
}

// loadConfig loads and validates the configuration; problems are usage errors.
func (a *app) loadConfig() (*config.Config, error) {
	path := a.resolveConfigPath()
	c, err := config.Load(path, sourceTypes())
	if err != nil {
		var ps config.Problems
		if errors.As(err, &ps) {
			return nil, &exitErr{exitUsage, fmt.Errorf("invalid configuration:\n%w", err)}
		}
		return nil, &exitErr{exitUsage, err}
	}
	if a.logLevel != "" {
		c.LogLevel = a.logLevel
	}
	return c, nil
}

// logger builds the root logger: JSON under systemd (journald), text on a
// terminal. Components derive theirs with Named/With.
func (a *app) logger(c *config.Config) hclog.Logger {
	format := c.LogFormat
	if format == "auto" {
		format = "text"
		if a.env.getenv("JOURNAL_STREAM") != "" {
			format = "json"
		}
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       "dirsync",
		Level:      hclog.LevelFromString(c.LogLevel),
		JSONFormat: format == "json",
		Output:     a.env.stderr,
	})
}

// openStore opens the database, creating the data directory when needed.
func (a *app) openStore(ctx context.Context, c *config.Config) (*store.Store, error) {
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data_dir: %w", err)
	}
	s, err := store.Open(ctx, c.DatabasePath())
	if err != nil {
		return nil, err
	}
	return s, nil
}

// cliActor identifies an admin's command in the audit log.
func cliActor() store.Actor {
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	return store.Actor{Channel: store.ChannelCLI, Who: who}
}

func (a *app) versionString() string {
	if a.env.version != "" {
		return a.env.version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func (a *app) versionCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"version": a.versionString()})
			}
			fmt.Fprintln(cmd.OutOrStdout(), "dirsync", a.versionString())
			return nil
		},
	}
	a.addOutputFlag(c)
	return c
}

func (a *app) configCommand() *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Work with the configuration file"}
	c.AddCommand(&cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a configuration file; exit 2 and name file, line and field on error",
		Args:  usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				a.configPath = args[0]
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid, %d source(s)\n", filepath.Base(cfg.Path), len(cfg.Sources))
			for _, s := range cfg.Sources {
				mode := "push only"
				if s.Pulls() {
					mode = "push and pull"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "  source %q %q: %s, SCIM base URL %s\n", s.Type, s.Name, mode, cfg.SCIMBaseURL(s.Name))
			}
			return nil
		},
	})
	return c
}
