package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			w.Write([]byte("ok"))
			return
		}
		http.Error(w, "postgres: down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"probe", srv.URL + "/readyz"}, &out, &out); err != nil || !strings.Contains(out.String(), ": 200") {
		t.Errorf("ready: %v, %q", err, out.String())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"probe", srv.URL + "/notready"}, "answered 503: postgres: down"},
		{[]string{"probe"}, "needs one URL"},
		{[]string{"probe", "127.0.0.1:8000/readyz"}, "not an http(s) URL"},
		{[]string{"probe", "http://127.0.0.1:1/readyz"}, "connection refused"},
	} {
		if err := run(context.Background(), tc.args, &out, &out); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
