package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestDeploymentBuild builds bizos as the Dockerfile does (-tags
// nodevtemporal) and checks that the Temporal server is not in it and that
// `bizos dev` without TEMPORAL_ADDRESS says what to do instead of starting.
func TestDeploymentBuild(t *testing.T) {
	bin := buildBizos(t, "-tags", "nodevtemporal")
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "dep" && f[1] == "go.temporal.io/server" {
			t.Errorf("the deployment build still links the Temporal server: %s", line)
		}
	}
	if !bytes.Contains(out, []byte("go.temporal.io/sdk")) {
		t.Errorf("the deployment build lacks the Temporal SDK:\n%s", out)
	}
	cmd := exec.Command(bin, "dev", "-data-dir", t.TempDir(), "-temporal-address", "",
		"-auth-addr", "127.0.0.1:0", "-brain-addr", "127.0.0.1:0", "-portal-addr", "127.0.0.1:0")
	cmd.Env = append(cmd.Environ(), "TEMPORAL_ADDRESS=")
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "built without the embedded Temporal server") || !strings.Contains(string(msg), "TEMPORAL_ADDRESS") {
		t.Errorf("bizos dev in the deployment build: %v\n%s", err, msg)
	}
}
