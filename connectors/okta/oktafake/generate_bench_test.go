package oktafake_test

import (
	"testing"

	"github.com/dirsync/dirsync/connectors/okta/oktafake"
)

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		oktafake.Generate(1, 100000, 10000, 1000000)
	}
}
