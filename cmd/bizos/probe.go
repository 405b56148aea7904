package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// probeTimeout bounds one `bizos probe`.
const probeTimeout = 3 * time.Second

// runProbe implements `bizos probe URL`: it succeeds when a GET of the URL
// answers 2xx within probeTimeout. It is the container healthcheck of
// images without a shell or curl (the distroless image), e.g.
// `bizos probe http://127.0.0.1:8000/readyz`.
func runProbe(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("probe needs one URL, e.g. bizos probe http://127.0.0.1:8000/readyz")
	}
	u, err := url.Parse(args[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("probe: %q is not an http(s) URL", args[0])
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("probe: %s answered %d: %s", u.Redacted(), resp.StatusCode, body)
	}
	fmt.Fprintf(stdout, "%s: %d\n", u.Redacted(), resp.StatusCode)
	return nil
}
