package main

import (
	"strings"
	"testing"
)

func TestSyncBadInput(t *testing.T) {
	pushOnly := writeConfig(t, "source \"okta\" \"okta\" {}\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown source", []string{"--config", pushOnly, "sync", "--source", "oktaa"}, `unknown source "oktaa": configured sources are okta`},
		{"push-only source", []string{"--config", pushOnly, "sync", "--source", "okta"}, "push-only"},
		{"nothing pulls", []string{"--config", pushOnly, "sync"}, "no source in"},
		{"bad output", []string{"--config", pushOnly, "sync", "--output", "xml"}, `--output: "xml" is not text or json`},
		{"stray argument", []string{"--config", pushOnly, "sync", "okta"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d (want %d), stderr:\n%s", r.code, exitUsage, r.stderr)
			}
		})
	}
}
