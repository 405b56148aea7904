package testenv

import (
	"bytes"
	"context"
	"os"
	"testing"

	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// RecordHistory writes the history of workflow id (runID "" for the latest
// run) as the JSON file a worker.WorkflowReplayer replays; tests call it
// when BIZOS_RECORD_HISTORY=1 to refresh workflows/testdata.
func RecordHistory(t testing.TB, ctx context.Context, c client.Client, id, runID, path string) {
	t.Helper()
	iter := c.GetWorkflowHistory(ctx, id, runID, false, 0)
	var events [][]byte
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		b, err := protojson.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, b)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"events":[` + "\n")
	buf.Write(bytes.Join(events, []byte(",\n")))
	buf.WriteString("\n]}\n")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events to %s", len(events), path)
}
