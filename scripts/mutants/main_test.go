package main

import "testing"

// TestEverySnippetIsInItsFile keeps make mutants in step with the code: a
// change that moves or rewrites a line a mutant plants its bug in fails here,
// in make test, rather than only when make mutants runs.
func TestEverySnippetIsInItsFile(t *testing.T) {
	if err := checkSnippets(mutants, "../.."); err != nil {
		t.Error(err)
	}
}
