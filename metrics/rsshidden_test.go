package metrics

import "testing"

func TestRSSHiddenForManagedRuntimes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		command []string
		hidden  bool
	}{
		{"go binary", []string{"/work/bin/baseline-go", "--role", "gateway"}, false},
		{"jvm", []string{"java", "-jar", "bin/baseline-jvm.jar"}, true},
		{"debian python", []string{"/usr/bin/python3", "bin/baseline-python.pyz"}, true},
		{"versioned python", []string{"python3.11", "app.py"}, true},
		{"nginx", []string{"nginx", "-g", "daemon off;"}, false},
	} {
		run := &Run{Services: []ServiceEvent{{Service: "api", Kind: "command", Command: tc.command}}}
		if got := rssHidden(run, "api") != ""; got != tc.hidden {
			t.Errorf("%s: rssHidden(%v) hidden = %v; want %v", tc.name, tc.command, got, tc.hidden)
		}
		if got := rssHidden(run, "other"); got != "" {
			t.Errorf("%s: rssHidden of another service = %q; want none", tc.name, got)
		}
	}
}
