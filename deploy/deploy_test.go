package deploy_test

// Offline checks of everything BizOS Hub is deployed with: compose.yaml
// (loaded with compose-go, the library `docker compose config` is built on),
// the Dockerfile, the Prometheus, Loki and Grafana files, and the Kubernetes
// manifests (rendered with kustomize's krusty and decoded strictly into the
// k8s.io/api types). Metric names and labels in dashboards and alerts are
// checked against what the Go sources register; setting names against the
// settings the sources read. Docker and promtool are used when present
// (`docker compose config -q`, `promtool check`/`test rules`) and skipped
// otherwise.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	k8syaml "sigs.k8s.io/yaml"
)

// root is the repository root (tests run in deploy/).
const root = ".."

func rootPath(t *testing.T, rel string) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bizosServices are the compose services that run the bizos image, with the
// command each runs.
var bizosServices = map[string]string{
	"migrate": "migrate", "authsvc": "authsvc", "brain": "brain", "worker": "worker", "portal": "portal",
}

// ---------------------------------------------------------------------------
// What the Go sources say: registered metrics and the settings they read.

// metric is one Prometheus metric family the code registers.
type metric struct {
	kind   string // counter, gauge, histogram, summary, or "" (a custom collector's Desc)
	labels map[string]bool
	file   string
}

// prometheusBuiltins are series Prometheus itself produces.
var prometheusBuiltins = map[string]map[string]bool{"up": {"job": true, "instance": true}}

// scrapeLabels are added by Prometheus to every scraped series.
var scrapeLabels = map[string]bool{"job": true, "instance": true}

type sourceFacts struct {
	metrics  map[string]metric
	settings map[string]bool // BIZOS_*, TEMPORAL_* and OTEL_* names in string literals
}

var (
	factsOnce sync.Once
	facts     sourceFacts
	factsErr  error
)

// goSources scans every non-test Go file of the module once.
func goSources(t *testing.T) sourceFacts {
	t.Helper()
	factsOnce.Do(func() {
		facts, factsErr = scanSources(root)
		if factsErr == nil {
			factsErr = addTemporalSDKMetrics(facts)
		}
	})
	if factsErr != nil {
		t.Fatal(factsErr)
	}
	return facts
}

// addTemporalSDKMetrics adds the metrics the Temporal Go SDK emits (through
// temporalmetrics, on the worker's and brain's registries), read from the
// SDK's own list of names in the module cache: timers are histograms,
// everything else a counter or gauge, and every SDK tag may be a label.
func addTemporalSDKMetrics(f sourceFacts) error {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	if err != nil {
		return fmt.Errorf("locate the Temporal SDK module: %w", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "internal", "common", "metrics", "constants.go")
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return fmt.Errorf("read the Temporal SDK metric names: %w", err)
	}
	values := map[string]string{}
	var eval func(ast.Expr) (string, bool)
	eval = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			return stringLit(e)
		case *ast.Ident:
			v, ok := values[e.Name]
			return v, ok
		case *ast.BinaryExpr:
			l, ok1 := eval(e.X)
			r, ok2 := eval(e.Y)
			return l + r, ok1 && ok2 && e.Op == token.ADD
		}
		return "", false
	}
	labels := map[string]bool{}
	var names []string
	for _, decl := range file.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, id := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				v, ok := eval(vs.Values[i])
				if !ok {
					continue
				}
				values[id.Name] = v
				switch {
				case strings.HasSuffix(id.Name, "TagName"):
					labels[v] = true
				case strings.HasPrefix(v, "temporal_") && v != "temporal_":
					names = append(names, id.Name)
				}
			}
		}
	}
	if len(names) < 20 || !labels["task_queue"] {
		return fmt.Errorf("%s: found %d metric names and labels %v; has the SDK moved them?", path, len(names), labels)
	}
	for _, id := range names {
		kind := "counter"
		if strings.HasSuffix(id, "Latency") {
			kind = "histogram"
		}
		f.metrics[values[id]] = metric{kind: kind, labels: labels, file: path}
	}
	return nil
}

var settingName = regexp.MustCompile(`^(BIZOS|TEMPORAL|OTEL)_[A-Z0-9_]+$`)

func scanSources(dir string) (sourceFacts, error) {
	f := sourceFacts{metrics: map[string]metric{}, settings: map[string]bool{}}
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", ".tools", ".data", "bin", "testdata", "vendor", "deploy":
				if path != dir {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		scanFile(file, rel, &f)
		return nil
	})
	return f, err
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func stringList(e ast.Expr) []string {
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil
	}
	var out []string
	for _, el := range cl.Elts {
		if s, ok := stringLit(el); ok {
			out = append(out, s)
		}
	}
	return out
}

func isPromPkg(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && (id.Name == "prometheus" || id.Name == "promauto")
}

// mapKeys returns the string keys of a map literal (prometheus.Labels{...}).
func mapKeys(cl *ast.CompositeLit) []string {
	var out []string
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if s, ok := stringLit(kv.Key); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func scanFile(file *ast.File, rel string, f *sourceFacts) {
	// Keys of every prometheus.Labels literal in the file: a ConstLabels
	// field that names a variable gets these.
	var fileConst []string
	ast.Inspect(file, func(n ast.Node) bool {
		if cl, ok := n.(*ast.CompositeLit); ok {
			if sel, ok := cl.Type.(*ast.SelectorExpr); ok && isPromPkg(sel.X) && sel.Sel.Name == "Labels" {
				fileConst = append(fileConst, mapKeys(cl)...)
			}
		}
		if s, ok := n.(*ast.BasicLit); ok && s.Kind == token.STRING {
			if v, err := strconv.Unquote(s.Value); err == nil && settingName.MatchString(v) {
				f.settings[v] = true
			}
		}
		return true
	})
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !isPromPkg(sel.X) || !strings.HasPrefix(sel.Sel.Name, "New") || len(call.Args) == 0 {
			return true
		}
		fn := sel.Sel.Name
		m := metric{labels: map[string]bool{}, file: rel}
		var name string
		if fn == "NewDesc" {
			if len(call.Args) < 4 {
				return true
			}
			name, _ = stringLit(call.Args[0])
			for _, l := range stringList(call.Args[2]) {
				m.labels[l] = true
			}
			if cl, ok := call.Args[3].(*ast.CompositeLit); ok {
				for _, l := range mapKeys(cl) {
					m.labels[l] = true
				}
			}
		} else {
			switch {
			case strings.Contains(fn, "Histogram"):
				m.kind = "histogram"
			case strings.Contains(fn, "Summary"):
				m.kind = "summary"
			case strings.Contains(fn, "Counter"):
				m.kind = "counter"
			case strings.Contains(fn, "Gauge"):
				m.kind = "gauge"
			default:
				return true
			}
			opts, ok := call.Args[0].(*ast.CompositeLit)
			if !ok {
				return true
			}
			var ns, sub string
			for _, el := range opts.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key, _ := kv.Key.(*ast.Ident)
				if key == nil {
					continue
				}
				switch key.Name {
				case "Name":
					name, _ = stringLit(kv.Value)
				case "Namespace":
					ns, _ = stringLit(kv.Value)
				case "Subsystem":
					sub, _ = stringLit(kv.Value)
				case "ConstLabels":
					if cl, ok := kv.Value.(*ast.CompositeLit); ok {
						for _, l := range mapKeys(cl) {
							m.labels[l] = true
						}
					} else {
						for _, l := range fileConst {
							m.labels[l] = true
						}
					}
				}
			}
			name = strings.Join(slices.DeleteFunc([]string{ns, sub, name}, func(s string) bool { return s == "" }), "_")
			if len(call.Args) > 1 {
				for _, l := range stringList(call.Args[1]) {
					m.labels[l] = true
				}
			}
		}
		if strings.HasPrefix(name, "bizos_") {
			if old, ok := f.metrics[name]; ok {
				for l := range old.labels {
					m.labels[l] = true
				}
			}
			f.metrics[name] = m
		}
		return true
	})
}

func TestSourcesRegisterMetrics(t *testing.T) {
	src := goSources(t)
	// The metrics the dashboard is built on; if one is renamed, the
	// dashboard and alerts must follow.
	for _, name := range []string{"bizos_http_requests_total", "bizos_http_request_duration_seconds",
		"bizos_upstream_requests_total", "bizos_upstream_request_duration_seconds", "bizos_webhooks_received_total",
		"bizos_webhooks_rejected_total", "bizos_connector_token_refreshes_total"} {
		if _, ok := src.metrics[name]; !ok {
			t.Errorf("the Go sources no longer register %s", name)
		}
	}
	if got := src.metrics["bizos_http_requests_total"].labels; !got["service"] || !got["route"] || !got["status"] {
		t.Errorf("bizos_http_requests_total labels = %v, want service, route, method, status", got)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// knownSetting reports whether the binary reads the environment variable.
func knownSetting(t *testing.T, name string) bool {
	t.Helper()
	return goSources(t).settings[name]
}

// ---------------------------------------------------------------------------
// PromQL: the metric names and labels an expression uses.

var (
	promSelector = regexp.MustCompile(`\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?`)
	promMatcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
)

// promWords are PromQL keywords and functions: not metric names.
var promWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`sum min max avg count stddev stdvar topk bottomk quantile count_values group limitk limit_ratio
		by without on ignoring group_left group_right bool and or unless offset
		rate irate increase delta idelta deriv predict_linear histogram_quantile histogram_count histogram_sum histogram_fraction
		abs ceil floor round exp ln log2 log10 sqrt clamp clamp_min clamp_max absent absent_over_time changes resets
		label_replace label_join sort sort_desc time timestamp vector scalar
		avg_over_time min_over_time max_over_time sum_over_time count_over_time quantile_over_time stddev_over_time last_over_time present_over_time
		day_of_month day_of_week hour minute month year days_in_month humanize inf nan`) {
		promWords[w] = true
	}
}

// checkPromQL reports, as test errors, what promQLProblems finds, and
// returns the metric names expr uses.
func checkPromQL(t *testing.T, where, expr string) []string {
	t.Helper()
	names, problems := promQLProblems(goSources(t), expr)
	for _, p := range problems {
		t.Errorf("%s: %s (expr: %s)", where, p, expr)
	}
	return names
}

// promQLProblems checks that every metric expr names is registered by the
// code (or pending), that histogram suffixes are used on histograms only,
// and that every label it matches on or groups by is one the metrics carry.
func promQLProblems(src sourceFacts, expr string) (names, problems []string) {
	// Grafana's interval variables become plain durations.
	e := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h").Replace(expr)
	allowed := map[string]bool{}
	for k := range scrapeLabels {
		allowed[k] = true
	}
	stripped := promRange.ReplaceAllString(e, "")
	grouping := promGrouping.FindAllStringSubmatch(stripped, -1)
	// Selector text without the grouping clauses, so label names in
	// by (...) are not taken for metrics.
	body := promGrouping.ReplaceAllString(stripped, "")
	for _, m := range promSelector.FindAllStringSubmatchIndex(body, -1) {
		word := body[m[2]:m[3]]
		// skip words inside a string literal or a {...} matcher block, numbers, keywords and functions
		if insideQuotesOrBraces(body, m[2]) || promWords[word] || isNumber(word) {
			continue
		}
		after := strings.TrimLeft(body[m[3]:], " ")
		if strings.HasPrefix(after, "(") && m[4] < 0 {
			continue // a function call we do not list
		}
		var matchers string
		if m[4] >= 0 {
			matchers = body[m[4]:m[5]]
		}
		metricLabels, ok, problem := lookupMetric(src, word)
		if problem != "" {
			problems = append(problems, problem)
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is not a metric the code registers", word))
			continue
		}
		names = append(names, word)
		for l := range metricLabels {
			allowed[l] = true
		}
		blanked := promString.ReplaceAllStringFunc(matchers, func(s string) string { return `"` + strings.Repeat("x", len(s)-2) + `"` })
		for _, mm := range promMatcher.FindAllStringSubmatch(blanked, -1) {
			if l := mm[1]; !metricLabels[l] && !scrapeLabels[l] && l != "__name__" {
				problems = append(problems, fmt.Sprintf("%s has no label %q (labels: %v)", word, l, sortedKeys(metricLabels)))
			}
		}
	}
	for _, g := range grouping {
		for _, l := range strings.Split(g[1], ",") {
			if l = strings.TrimSpace(l); l != "" && !allowed[l] {
				problems = append(problems, fmt.Sprintf("groups by %q, which none of %v carries", l, names))
			}
		}
	}
	return names, problems
}

func insideQuotesOrBraces(s string, i int) bool {
	quotes, braces := 0, 0
	for j := 0; j < i; j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			quotes ^= 1
		case '{':
			if quotes == 0 {
				braces++
			}
		case '}':
			if quotes == 0 {
				braces--
			}
		}
	}
	return quotes == 1 || braces > 0
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// lookupMetric returns the labels a series name carries: a registered
// metric, a histogram's _bucket/_sum/_count series, a pending metric, or a
// Prometheus built-in; problem says when the series is misused.
func lookupMetric(src sourceFacts, name string) (labels map[string]bool, ok bool, problem string) {
	if l, ok := prometheusBuiltins[name]; ok {
		return l, true, ""
	}
	find := func(n string) (metric, bool) {
		m, ok := src.metrics[n]
		return m, ok
	}
	if m, ok := find(name); ok {
		if m.kind == "histogram" {
			problem = fmt.Sprintf("%s is a histogram: use its _bucket, _sum or _count series", name)
		}
		return m.labels, true, problem
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, found := strings.CutSuffix(name, suffix)
		if !found {
			continue
		}
		if m, ok := find(base); ok {
			if m.kind != "histogram" && m.kind != "summary" && m.kind != "" {
				problem = fmt.Sprintf("%s is a %s, it has no %s series", base, m.kind, suffix)
			}
			out := map[string]bool{}
			for l := range m.labels {
				out[l] = true
			}
			if suffix == "_bucket" {
				out["le"] = true
			}
			return out, true, problem
		}
	}
	return nil, false, ""
}

func TestPromQLCheckerCatchesMistakes(t *testing.T) {
	src := goSources(t)
	for _, tc := range []struct {
		expr string
		ok   bool
	}{
		{`sum by (service) (rate(bizos_http_requests_total{status=~"5..", route!~"/healthz|/readyz"}[5m]))`, true},
		{`histogram_quantile(0.95, sum by (provider, le) (rate(bizos_upstream_request_duration_seconds_bucket[$__rate_interval])))`, true},
		{`up{job="brain"} == 0`, true},
		{`max by (provider) (bizos_connections{status="expired"}) > 0`, true},
		{`rate(bizos_http_requests_totl[5m])`, false},
		{`sum by (tenant) (rate(bizos_http_requests_total[5m]))`, false},
		{`rate(bizos_upstream_requests_total{service="brain"}[5m])`, false},
		{`rate(bizos_http_requests_total_bucket[5m])`, false},
		{`bizos_http_request_duration_seconds`, false},
		{`sum by (le) (rate(temporal_activity_schedule_to_start_latency_bucket{task_queue="bizos"}[5m]))`, true},
		{`rate(temporal_workflow_failed[5m])`, true},
		{`rate(temporal_workflow_failures[5m])`, false},
		{`rate(temporal_workflow_failed_bucket[5m])`, false},
		{`sum by (tenant) (rate(temporal_workflow_failed[5m]))`, false},
	} {
		_, problems := promQLProblems(src, tc.expr)
		if got := len(problems) == 0; got != tc.ok {
			t.Errorf("promQLProblems(%s) = %q, want ok = %v", tc.expr, problems, tc.ok)
		}
	}
}

// ---------------------------------------------------------------------------
// compose.yaml

// composeEnv is what an operator sets before `docker compose up`.
var composeEnv = map[string]string{
	"BIZOS_MASTER_KEYS":    "1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	"BIZOS_ADMIN_PASSWORD": "compose-test-password",
}

func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{rootPath(t, "compose.yaml")},
		cli.WithWorkingDirectory(rootPath(t, ".")), cli.WithEnv(list))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return cli.ProjectFromOptions(ctx, opts)
}

func TestComposeFile(t *testing.T) {
	p, err := loadCompose(t, composeEnv)
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}
	if p.Name != "bizos" {
		t.Errorf("project name = %q, want bizos", p.Name)
	}
	want := []string{"postgres", "redis", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui",
		"migrate", "authsvc", "brain", "worker", "portal", "prometheus", "loki", "grafana"}
	for _, name := range want {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	t.Run("bizos services", func(t *testing.T) {
		var image string
		for name, command := range bizosServices {
			s := p.Services[name]
			if image == "" {
				image = s.Image
			}
			if s.Image != image || s.Image == "" {
				t.Errorf("%s: image %q, want the one image all bizos services share (%q)", name, s.Image, image)
			}
			if s.Build == nil || s.Build.Context != rootPath(t, ".") || s.Build.Dockerfile != "Dockerfile" {
				t.Errorf("%s: build = %+v, want the repository's Dockerfile", name, s.Build)
			}
			if got := []string(s.Command); !slices.Equal(got, []string{command}) {
				t.Errorf("%s: command %q, want [%s]", name, got, command)
			}
			if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") {
				t.Errorf("%s: want read_only and cap_drop ALL (read_only=%v cap_drop=%v)", name, s.ReadOnly, s.CapDrop)
			}
			for k := range s.Environment {
				if !knownSetting(t, k) {
					t.Errorf("%s: environment %s is not a setting the binary reads", name, k)
				}
			}
			if _, ok := s.Environment["OTEL_TRACES_EXPORTER"]; ok {
				t.Errorf("%s: traces are off by default: OTEL_TRACES_EXPORTER must stay unset", name)
			}
			if v := s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]; v != nil {
				t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT=%s would turn traces on too; set the logs endpoint only", name, *v)
			}
		}
		// The processes that open the database and the keyring.
		for _, name := range []string{"authsvc", "brain", "worker"} {
			env := p.Services[name].Environment
			for k, want := range map[string]string{
				"BIZOS_MASTER_KEYS":                composeEnv["BIZOS_MASTER_KEYS"],
				"TEMPORAL_ADDRESS":                 "temporal:7233",
				"BIZOS_REDIS_URL":                  "redis://redis:6379/0",
				"BIZOS_AUTH_URL":                   "http://authsvc:8008",
				"BIZOS_PUBLIC_URL":                 "http://localhost:8000",
				"BIZOS_PORTAL_URL":                 "http://localhost:3000",
				"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://loki:3100/otlp/v1/logs",
			} {
				if got := env[k]; got == nil || *got != want {
					t.Errorf("%s: %s = %v, want %q", name, k, deref(got), want)
				}
			}
			if u := deref(env["BIZOS_DATABASE_URL"]); !strings.HasPrefix(u, "postgres://bizos:") || !strings.Contains(u, "@postgres:5432/bizos") {
				t.Errorf("%s: BIZOS_DATABASE_URL = %q, want the compose PostgreSQL", name, u)
			}
		}
		if deref(p.Services["authsvc"].Environment["BIZOS_ADMIN_PASSWORD"]) != composeEnv["BIZOS_ADMIN_PASSWORD"] {
			t.Errorf("authsvc creates the first super admin: it needs BIZOS_ADMIN_PASSWORD")
		}
		if env := p.Services["portal"].Environment; deref(env["BIZOS_BRAIN_URL"]) != "http://brain:8000" || deref(env["BIZOS_AUTH_URL"]) != "http://authsvc:8008" {
			t.Errorf("portal: back ends %v %v", deref(env["BIZOS_BRAIN_URL"]), deref(env["BIZOS_AUTH_URL"]))
		}
		if deref(p.Services["worker"].Environment["BIZOS_METRICS_ADDR"]) != ":9090" {
			t.Errorf("worker: BIZOS_METRICS_ADDR must be :9090, where Prometheus scrapes it")
		}
	})

	t.Run("healthchecks", func(t *testing.T) {
		// The distroless image has no shell: each bizos service probes its
		// own port with `bizos probe`.
		for name, want := range map[string]string{"authsvc": "http://127.0.0.1:8008/readyz", "brain": "http://127.0.0.1:8000/readyz",
			"worker": "http://127.0.0.1:9090/readyz", "portal": "http://127.0.0.1:3000/readyz"} {
			hc := p.Services[name].HealthCheck
			if hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/bizos", "probe", want}) || hc.Interval == nil || hc.Timeout == nil {
				t.Errorf("%s: healthcheck %+v, want CMD /bizos probe %s with an interval and timeout", name, hc, want)
			}
		}
	})

	t.Run("depends_on", func(t *testing.T) {
		want := map[string]map[string]string{
			"temporal-schema":    {"postgres": types.ServiceConditionHealthy},
			"temporal":           {"temporal-schema": types.ServiceConditionCompletedSuccessfully},
			"temporal-namespace": {"temporal": types.ServiceConditionHealthy},
			"migrate":            {"postgres": types.ServiceConditionHealthy},
			"authsvc":            {"migrate": types.ServiceConditionCompletedSuccessfully, "redis": types.ServiceConditionHealthy},
			"brain": {"migrate": types.ServiceConditionCompletedSuccessfully, "redis": types.ServiceConditionHealthy,
				"temporal-namespace": types.ServiceConditionCompletedSuccessfully, "authsvc": types.ServiceConditionHealthy},
			"worker": {"migrate": types.ServiceConditionCompletedSuccessfully, "redis": types.ServiceConditionHealthy,
				"temporal-namespace": types.ServiceConditionCompletedSuccessfully},
			"portal": {"brain": types.ServiceConditionHealthy, "authsvc": types.ServiceConditionHealthy},
		}
		for name, deps := range want {
			got := map[string]string{}
			for dep, d := range p.Services[name].DependsOn {
				got[dep] = d.Condition
			}
			if !mapsEqual(got, deps) {
				t.Errorf("%s depends_on = %v, want %v", name, got, deps)
			}
		}
		// Every condition must be satisfiable.
		for name, s := range p.Services {
			for dep, d := range s.DependsOn {
				target := p.Services[dep]
				switch d.Condition {
				case types.ServiceConditionHealthy:
					if target.HealthCheck == nil || target.HealthCheck.Disable || len(target.HealthCheck.Test) == 0 {
						t.Errorf("%s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
					}
				case types.ServiceConditionCompletedSuccessfully:
					if target.Restart == types.RestartPolicyAlways || target.Restart == types.RestartPolicyUnlessStopped {
						t.Errorf("%s waits for %s to complete, but %s restarts %s", name, dep, dep, target.Restart)
					}
				}
			}
		}
	})

	t.Run("ports", func(t *testing.T) {
		want := map[string]map[string]uint32{ // service: published -> target
			"portal": {"3000": 3000}, "brain": {"8000": 8000}, "authsvc": {"8008": 8008},
			"grafana": {"3001": 3000}, "prometheus": {"9090": 9090}, "temporal-ui": {"8080": 8080}, "loki": {"3100": 3100},
		}
		published := map[string]string{}
		for name, s := range p.Services {
			got := map[string]uint32{}
			for _, port := range s.Ports {
				got[port.Published] = port.Target
				if other, dup := published[port.Published]; dup {
					t.Errorf("host port %s published by both %s and %s", port.Published, other, name)
				}
				published[port.Published] = name
			}
			if w, ok := want[name]; ok && !mapsEqual(got, w) {
				t.Errorf("%s ports = %v, want %v", name, got, w)
			} else if !ok && len(got) > 0 {
				t.Errorf("%s publishes %v; only the documented ports are published", name, got)
			}
		}
	})

	t.Run("mounted files exist", func(t *testing.T) {
		for name, s := range p.Services {
			for _, v := range s.Volumes {
				if v.Type != types.VolumeTypeBind {
					if _, ok := p.Volumes[v.Source]; v.Type == types.VolumeTypeVolume && !ok {
						t.Errorf("%s: named volume %s is not declared", name, v.Source)
					}
					continue
				}
				rel, err := filepath.Rel(rootPath(t, "."), v.Source)
				if err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("%s mounts %s, outside the repository", name, v.Source)
					continue
				}
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s mounts %s, which does not exist: %v", name, rel, err)
				}
				if !v.ReadOnly {
					t.Errorf("%s mounts %s writable; configuration is mounted read-only", name, rel)
				}
			}
		}
		// the init script must be executable or it is sourced by a shell without -e
		if st, err := os.Stat(rootPath(t, "deploy/compose/postgres-init.sh")); err != nil || st.Mode()&0o111 == 0 {
			t.Errorf("deploy/compose/postgres-init.sh must be executable (%v)", err)
		}
	})

	t.Run("infrastructure", func(t *testing.T) {
		if img := p.Services["postgres"].Image; !strings.HasPrefix(img, "pgvector/pgvector:pg16") {
			t.Errorf("postgres image %s, want pgvector/pgvector:pg16", img)
		}
		if p.Services["postgres"].HealthCheck == nil {
			t.Errorf("postgres needs a healthcheck")
		}
		hasVolume := slices.ContainsFunc(p.Services["postgres"].Volumes, func(v types.ServiceVolumeConfig) bool {
			return v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/postgresql/data"
		})
		if !hasVolume {
			t.Errorf("postgres keeps its data in a named volume")
		}
		for name, prefix := range map[string]string{"redis": "redis:7", "temporal": "temporalio/server:", "temporal-ui": "temporalio/ui:",
			"temporal-schema": "temporalio/admin-tools:", "prometheus": "prom/prometheus:", "loki": "grafana/loki:3.", "grafana": "grafana/grafana:"} {
			if img := p.Services[name].Image; !strings.HasPrefix(img, prefix) {
				t.Errorf("%s image %s, want %s...", name, img, prefix)
			}
		}
		if tag := strings.TrimPrefix(p.Services["temporal"].Image, "temporalio/server:"); tag != strings.TrimPrefix(p.Services["temporal-schema"].Image, "temporalio/admin-tools:") {
			t.Errorf("server and admin-tools versions differ: %s vs %s", p.Services["temporal"].Image, p.Services["temporal-schema"].Image)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}

func mapsEqual[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestComposeRequiresSecrets(t *testing.T) {
	for _, name := range []string{"BIZOS_MASTER_KEYS", "BIZOS_ADMIN_PASSWORD"} {
		env := map[string]string{}
		for k, v := range composeEnv {
			if k != name {
				env[k] = v
			}
		}
		_, err := loadCompose(t, env)
		if err == nil {
			t.Errorf("compose.yaml loads without %s", name)
			continue
		}
		if !strings.Contains(err.Error(), "required variable "+name+" is missing a value") || !strings.Contains(err.Error(), "set "+name) {
			t.Errorf("without %s: %v, want the required-variable message", name, err)
		}
	}
}

// TestDockerComposeConfig runs the real `docker compose config` where the
// plugin exists (not on CI, which has no Docker).
func TestDockerComposeConfig(t *testing.T) {
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		t.Skip("no docker compose plugin here; compose.yaml is checked with compose-go in TestComposeFile")
	}
	cmd := exec.Command("docker", "compose", "-f", rootPath(t, "compose.yaml"), "config", "-q")
	cmd.Dir = rootPath(t, ".")
	cmd.Env = os.Environ()
	for k, v := range composeEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
}

// ---------------------------------------------------------------------------
// Dockerfile

type dockerStage struct {
	from, name string
	instr      [][2]string // instruction, arguments
}

func parseDockerfile(t *testing.T, text string) []dockerStage {
	t.Helper()
	var stages []dockerStage
	var logical []string
	var cur strings.Builder
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue // a comment inside a continued instruction
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("Dockerfile ends inside a continued line")
	}
	for _, l := range logical {
		instr, args, _ := strings.Cut(l, " ")
		instr = strings.ToUpper(instr)
		args = strings.TrimSpace(args)
		if instr == "FROM" {
			f := strings.Fields(args)
			st := dockerStage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if instr != "ARG" {
				t.Fatalf("Dockerfile: %s before the first FROM", instr)
			}
			continue
		}
		stages[len(stages)-1].instr = append(stages[len(stages)-1].instr, [2]string{instr, args})
	}
	return stages
}

func (s dockerStage) all(instr string) []string {
	var out []string
	for _, i := range s.instr {
		if i[0] == instr {
			out = append(out, i[1])
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, string(readFile(t, "Dockerfile")))
	if len(stages) != 3 {
		t.Fatalf("%d stages, want 3 (portal, build, runtime)", len(stages))
	}
	portal, build, final := stages[0], stages[1], stages[2]
	if portal.from != "node:22-bookworm-slim" || build.from != "golang:1.26-bookworm" || final.from != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("base images %s, %s, %s", portal.from, build.from, final.from)
	}
	// The Go image must carry the go.mod language version.
	if m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(readFile(t, "go.mod")); m == nil || !strings.HasPrefix(build.from, "golang:"+string(m[1])) {
		t.Errorf("build stage %s does not match go.mod's go %s", build.from, m[1])
	}
	runs := strings.Join(portal.all("RUN"), "\n")
	if !strings.Contains(runs, "npm ci") || !strings.Contains(runs, "vite build") {
		t.Errorf("portal stage must npm ci and vite build: %s", runs)
	}
	copiesPortal := slices.ContainsFunc(build.all("COPY"), func(a string) bool {
		return strings.HasPrefix(a, "--from="+portal.name+" ") && strings.HasSuffix(a, "portal/dist/app")
	})
	if !copiesPortal {
		t.Errorf("build stage does not copy the portal build into portal/dist/app before go build")
	}
	goBuild := strings.Join(build.all("RUN"), "\n")
	for _, want := range []string{"CGO_ENABLED=0", "go build", "-tags nodevtemporal", "-trimpath", `-ldflags "-s -w"`, "-o /out/bizos", "./cmd/bizos"} {
		if !strings.Contains(goBuild, want) {
			t.Errorf("build stage: %q missing from %s", want, goBuild)
		}
	}
	// the portal build is copied before the binary is built
	var copyAt, buildAt int
	for i, in := range build.instr {
		if in[0] == "COPY" && strings.Contains(in[1], "portal/dist/app") {
			copyAt = i
		}
		if in[0] == "RUN" && strings.Contains(in[1], "go build") {
			buildAt = i
		}
	}
	if copyAt > buildAt {
		t.Errorf("the portal build is copied after go build")
	}
	if got := final.all("USER"); !slices.Equal(got, []string{"nonroot:nonroot"}) {
		t.Errorf("USER = %v, want nonroot:nonroot", got)
	}
	var entry []string
	if e := final.all("ENTRYPOINT"); len(e) != 1 || json.Unmarshal([]byte(e[0]), &entry) != nil || !slices.Equal(entry, []string{"/bizos"}) {
		t.Errorf(`ENTRYPOINT = %v, want ["/bizos"] (exec form)`, e)
	}
	var exposed []string
	for _, e := range final.all("EXPOSE") {
		exposed = append(exposed, strings.Fields(e)...)
	}
	for _, port := range []string{"8000", "8008", "3000", "9090"} {
		if !slices.Contains(exposed, port) {
			t.Errorf("EXPOSE lacks %s (%v)", port, exposed)
		}
	}
	if !slices.ContainsFunc(final.all("COPY"), func(a string) bool { return strings.HasPrefix(a, "--from="+build.name+" /out/bizos /bizos") }) {
		t.Errorf("runtime stage does not copy /out/bizos to /bizos")
	}
	if len(final.all("RUN")) > 0 {
		t.Errorf("the distroless stage cannot RUN anything")
	}
	// Files the COPY instructions name exist.
	for _, st := range stages {
		for _, c := range st.all("COPY") {
			if strings.HasPrefix(c, "--from=") {
				continue
			}
			f := strings.Fields(c)
			for _, src := range f[:len(f)-1] {
				if strings.HasPrefix(src, "--") || src == "." {
					continue
				}
				if _, err := os.Stat(filepath.Join(root, src)); err != nil {
					t.Errorf("COPY %s: %v", src, err)
				}
			}
		}
	}
	var ignore []string
	for _, line := range strings.Split(string(readFile(t, ".dockerignore")), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			ignore = append(ignore, line)
		}
	}
	for _, want := range []string{"node_modules", ".data", "bin", "portal/dist/app", "portal/build", ".tools", ".git"} {
		if !slices.Contains(ignore, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
	for _, keep := range []string{"go.mod", "go.sum", "portal", "portal/dist", "cmd"} {
		if slices.Contains(ignore, keep) {
			t.Errorf(".dockerignore excludes %s, which the build needs", keep)
		}
	}
}

// ---------------------------------------------------------------------------
// Prometheus, Loki, Grafana

func yamlFile(t *testing.T, rel string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, rel)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

type promConfig struct {
	Global        map[string]any `yaml:"global"`
	RuleFiles     []string       `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

type promRules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestPrometheusConfig(t *testing.T) {
	var cfg promConfig
	yamlFile(t, "deploy/prometheus/prometheus.yml", &cfg)
	jobs := map[string]string{}
	for _, sc := range cfg.ScrapeConfigs {
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			t.Errorf("%s scrapes %s", sc.JobName, sc.MetricsPath)
		}
		for _, s := range sc.StaticConfigs {
			for _, target := range s.Targets {
				jobs[sc.JobName] = target
			}
		}
	}
	want := map[string]string{"brain": "brain:8000", "authsvc": "authsvc:8008", "worker": "worker:9090"}
	for job, target := range want {
		if jobs[job] != target {
			t.Errorf("job %s scrapes %q, want %s", job, jobs[job], target)
		}
	}
	if !slices.Equal(cfg.RuleFiles, []string{"alerts.yml"}) {
		t.Errorf("rule_files = %v, want alerts.yml", cfg.RuleFiles)
	}
	// The compose file mounts both files where the config expects them.
	p, err := loadCompose(t, composeEnv)
	if err != nil {
		t.Fatal(err)
	}
	mounts := map[string]string{}
	for _, v := range p.Services["prometheus"].Volumes {
		mounts[v.Target] = v.Source
	}
	for target, src := range map[string]string{"/etc/prometheus/prometheus.yml": "deploy/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml": "deploy/prometheus/alerts.yml"} {
		if mounts[target] != rootPath(t, src) {
			t.Errorf("prometheus: %s should be %s, is %q", target, src, mounts[target])
		}
	}

	var rules promRules
	yamlFile(t, "deploy/prometheus/alerts.yml", &rules)
	alerts := map[string]string{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v: needs alert, expr, severity and summary", r)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			checkPromQL(t, "alerts.yml "+r.Alert, r.Expr)
			alerts[r.Alert] = r.Expr + " for " + r.For
		}
	}
	for name, want := range map[string][]string{
		"BizosHighErrorRate":      {"bizos_http_requests_total", `status=~"5.."`, "> 0.05", "for 5m"},
		"BizosHighLatency":        {"histogram_quantile(0.95", "bizos_http_request_duration_seconds_bucket", "> 1", "for 10m"},
		"BizosWebhookBacklog":     {"bizos_webhook_deliveries_pending"},
		"BizosConnectionsExpired": {`bizos_connections{status="expired"}`},
	} {
		for _, w := range want {
			if !strings.Contains(alerts[name], w) {
				t.Errorf("alert %s: %q missing from %q", name, w, alerts[name])
			}
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// promtool returns the path of promtool, or skips.
func promtool(t *testing.T) string {
	t.Helper()
	if p := rootPath(t, ".tools/prometheus/usr/bin/promtool"); fileExists(p) {
		return p // scripts/promtool.sh, run by make test
	}
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("no promtool (scripts/promtool.sh unpacks Debian's); the files are still checked by TestPrometheusConfig")
	}
	return p
}

func TestPromtool(t *testing.T) {
	tool := promtool(t)
	dir := rootPath(t, "deploy/prometheus")
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(tool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// Every dashboard and Grafana alert query parses as PromQL: wrap them
	// in a rule file promtool checks.
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: queries\n    rules:\n")
	for i, q := range grafanaPromQueries(t) {
		e := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m").Replace(q.expr)
		b, _ := json.Marshal(e)
		fmt.Fprintf(&rules, "      - record: q%d\n        expr: %s\n", i, b)
	}
	f := filepath.Join(t.TempDir(), "queries.yml")
	if err := os.WriteFile(f, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "check", "rules", f).CombinedOutput(); err != nil {
		t.Errorf("Grafana queries do not parse: %v\n%s", err, out)
	}
}

func TestLokiConfig(t *testing.T) {
	var cfg struct {
		AuthEnabled bool `yaml:"auth_enabled"`
		Server      struct {
			HTTPListenPort int `yaml:"http_listen_port"`
		} `yaml:"server"`
		SchemaConfig struct {
			Configs []struct {
				Store       string `yaml:"store"`
				Schema      string `yaml:"schema"`
				ObjectStore string `yaml:"object_store"`
			} `yaml:"configs"`
		} `yaml:"schema_config"`
		LimitsConfig struct {
			AllowStructuredMetadata bool `yaml:"allow_structured_metadata"`
		} `yaml:"limits_config"`
	}
	// Loki's own config struct is not a dependency; decode leniently and
	// check what OTLP ingestion needs.
	if err := yaml.Unmarshal(readFile(t, "deploy/loki/loki.yaml"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Server.HTTPListenPort != 3100 {
		t.Errorf("http_listen_port = %d, want 3100", cfg.Server.HTTPListenPort)
	}
	if !cfg.LimitsConfig.AllowStructuredMetadata {
		t.Errorf("OTLP ingestion needs limits_config.allow_structured_metadata: true")
	}
	if n := len(cfg.SchemaConfig.Configs); n == 0 || cfg.SchemaConfig.Configs[n-1].Store != "tsdb" || cfg.SchemaConfig.Configs[n-1].Schema != "v13" {
		t.Errorf("the newest schema must be v13 on tsdb: %+v", cfg.SchemaConfig.Configs)
	}
	if cfg.AuthEnabled {
		t.Errorf("auth_enabled: the bizos processes send no tenant header")
	}
}

type grafanaTarget struct {
	Datasource struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	RefID string `json:"refId"`
	Expr  string `json:"expr"`
}

type grafanaPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	Targets []grafanaTarget `json:"targets"`
	Panels  []grafanaPanel  `json:"panels"`
}

type grafanaDashboard struct {
	UID    string         `json:"uid"`
	Title  string         `json:"title"`
	Panels []grafanaPanel `json:"panels"`
}

func dashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	var d grafanaDashboard
	if err := json.Unmarshal(readFile(t, "deploy/grafana/dashboards/bizos-system-health.json"), &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	return d
}

func flatPanels(ps []grafanaPanel) []grafanaPanel {
	var out []grafanaPanel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatPanels(p.Panels)...)
	}
	return out
}

type grafanaAlerts struct {
	APIVersion int `yaml:"apiVersion"`
	Groups     []struct {
		OrgID    int    `yaml:"orgId"`
		Name     string `yaml:"name"`
		Folder   string `yaml:"folder"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			UID       string `yaml:"uid"`
			Title     string `yaml:"title"`
			Condition string `yaml:"condition"`
			Data      []struct {
				RefID             string         `yaml:"refId"`
				RelativeTimeRange map[string]int `yaml:"relativeTimeRange"`
				DatasourceUID     string         `yaml:"datasourceUid"`
				Model             map[string]any `yaml:"model"`
			} `yaml:"data"`
			NoDataState  string            `yaml:"noDataState"`
			ExecErrState string            `yaml:"execErrState"`
			For          string            `yaml:"for"`
			Labels       map[string]string `yaml:"labels"`
			Annotations  map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type promQuery struct{ where, expr string }

// grafanaPromQueries are the PromQL queries of the dashboard and of the
// Grafana alert rules.
func grafanaPromQueries(t *testing.T) []promQuery {
	t.Helper()
	var out []promQuery
	for _, p := range flatPanels(dashboard(t).Panels) {
		for _, tg := range p.Targets {
			if tg.Datasource.UID == "prometheus" {
				out = append(out, promQuery{"dashboard panel " + strconv.Quote(p.Title), tg.Expr})
			}
		}
	}
	var alerts grafanaAlerts
	yamlFile(t, "deploy/grafana/provisioning/alerting/alerts.yaml", &alerts)
	for _, g := range alerts.Groups {
		for _, r := range g.Rules {
			for _, d := range r.Data {
				if d.DatasourceUID == "prometheus" {
					e, _ := d.Model["expr"].(string)
					out = append(out, promQuery{"grafana alert " + r.UID, e})
				}
			}
		}
	}
	return out
}

func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name      string         `yaml:"name"`
			UID       string         `yaml:"uid"`
			Type      string         `yaml:"type"`
			Access    string         `yaml:"access"`
			URL       string         `yaml:"url"`
			IsDefault bool           `yaml:"isDefault"`
			JSONData  map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	yamlFile(t, "deploy/grafana/provisioning/datasources/datasources.yaml", &ds)
	uids := map[string]string{}
	for _, d := range ds.Datasources {
		uids[d.UID] = d.Type
		want := map[string]string{"prometheus": "http://prometheus:9090", "loki": "http://loki:3100"}[d.Type]
		if d.URL != want {
			t.Errorf("data source %s: url %s, want %s (the compose service)", d.Name, d.URL, want)
		}
	}
	if uids["prometheus"] != "prometheus" || uids["loki"] != "loki" {
		t.Errorf("data sources %v, want uids prometheus and loki", uids)
	}

	var prov struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name                  string `yaml:"name"`
			OrgID                 int    `yaml:"orgId"`
			Folder                string `yaml:"folder"`
			Type                  string `yaml:"type"`
			DisableDeletion       bool   `yaml:"disableDeletion"`
			AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
			UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
			Options               struct {
				Path                      string `yaml:"path"`
				FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	yamlFile(t, "deploy/grafana/provisioning/dashboards/dashboards.yaml", &prov)
	p, err := loadCompose(t, composeEnv)
	if err != nil {
		t.Fatal(err)
	}
	mounts := map[string]string{}
	for _, v := range p.Services["grafana"].Volumes {
		mounts[v.Target] = v.Source
	}
	if len(prov.Providers) != 1 || mounts[prov.Providers[0].Options.Path] != rootPath(t, "deploy/grafana/dashboards") {
		t.Errorf("dashboard provider path %+v is not where compose mounts deploy/grafana/dashboards (%v)", prov.Providers, mounts)
	}
	if mounts["/etc/grafana/provisioning"] != rootPath(t, "deploy/grafana/provisioning") {
		t.Errorf("compose does not mount deploy/grafana/provisioning at /etc/grafana/provisioning")
	}

	t.Run("dashboard", func(t *testing.T) {
		d := dashboard(t)
		if d.Title != "BizOS Hub — System Health" {
			t.Errorf("title %q", d.Title)
		}
		ids := map[int]bool{}
		used := map[string]bool{}
		var logs bool
		for _, panel := range flatPanels(d.Panels) {
			if ids[panel.ID] {
				t.Errorf("panel id %d used twice", panel.ID)
			}
			ids[panel.ID] = true
			if panel.Type == "row" {
				continue
			}
			if panel.Datasource == nil || uids[panel.Datasource.UID] == "" {
				t.Errorf("panel %q: data source %+v is not provisioned", panel.Title, panel.Datasource)
			}
			if len(panel.Targets) == 0 {
				t.Errorf("panel %q has no query", panel.Title)
			}
			for _, tg := range panel.Targets {
				if uids[tg.Datasource.UID] == "" || tg.Expr == "" {
					t.Errorf("panel %q: query %+v", panel.Title, tg)
				}
				if tg.Datasource.UID == "loki" {
					logs = logs || panel.Type == "logs"
					if !strings.Contains(tg.Expr, "service_name") {
						t.Errorf("logs panel %q should select the bizos services by service_name: %s", panel.Title, tg.Expr)
					}
				}
			}
		}
		for _, q := range grafanaPromQueries(t) {
			if strings.HasPrefix(q.where, "dashboard") {
				for _, n := range checkPromQL(t, q.where, q.expr) {
					used[n] = true
				}
			}
		}
		for _, want := range []string{"bizos_http_requests_total", "bizos_http_request_duration_seconds_bucket",
			"bizos_upstream_requests_total", "bizos_upstream_request_duration_seconds_bucket", "bizos_webhooks_received_total",
			"bizos_webhooks_rejected_total", "bizos_connector_token_refreshes_total"} {
			if !used[want] {
				t.Errorf("no dashboard panel shows %s", want)
			}
		}
		if !logs {
			t.Errorf("no Loki logs panel")
		}
	})

	t.Run("alert rules", func(t *testing.T) {
		var alerts grafanaAlerts
		yamlFile(t, "deploy/grafana/provisioning/alerting/alerts.yaml", &alerts)
		if alerts.APIVersion != 1 {
			t.Errorf("apiVersion %d", alerts.APIVersion)
		}
		seen := map[string]bool{}
		grafanaMetrics, promMetrics := map[string]bool{}, map[string]bool{}
		for _, g := range alerts.Groups {
			if g.Folder == "" || g.Interval == "" || g.OrgID != 1 {
				t.Errorf("group %s: needs orgId, folder and interval", g.Name)
			}
			for _, r := range g.Rules {
				if seen[r.UID] || r.UID == "" || len(r.UID) > 40 {
					t.Errorf("rule uid %q: empty, too long or used twice", r.UID)
				}
				seen[r.UID] = true
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.UID, r.For, err)
				}
				refs := map[string]bool{}
				for _, d := range r.Data {
					refs[d.RefID] = true
					if d.DatasourceUID != "__expr__" && uids[d.DatasourceUID] == "" {
						t.Errorf("%s: data source %s is not provisioned", r.UID, d.DatasourceUID)
					}
					if e, ok := d.Model["expression"].(string); ok && !refs[e] {
						t.Errorf("%s: %s refers to %s, which comes later or not at all", r.UID, d.RefID, e)
					}
					if e, ok := d.Model["expr"].(string); ok {
						for _, n := range checkPromQL(t, "grafana alert "+r.UID, e) {
							grafanaMetrics[n] = true
						}
					}
				}
				if !refs[r.Condition] {
					t.Errorf("%s: condition %s is not a refId", r.UID, r.Condition)
				}
				if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
					t.Errorf("%s: needs a severity label and a summary", r.UID)
				}
			}
		}
		var rules promRules
		yamlFile(t, "deploy/prometheus/alerts.yml", &rules)
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				for _, n := range checkPromQL(t, "alerts.yml "+r.Alert, r.Expr) {
					promMetrics[n] = true
				}
			}
		}
		if !mapsEqual(grafanaMetrics, promMetrics) {
			t.Errorf("Grafana alerts use %v, Prometheus alerts %v: keep them mirrored", sortedKeys(grafanaMetrics), sortedKeys(promMetrics))
		}
		if len(seen) != func() (n int) {
			for _, g := range rules.Groups {
				n += len(g.Rules)
			}
			return n
		}() {
			t.Errorf("%d Grafana rules, but a different number of Prometheus rules", len(seen))
		}
	})
}

// ---------------------------------------------------------------------------
// Kubernetes

// rendered is one kustomization's output, decoded strictly.
type rendered struct {
	deployments  map[string]*appsv1.Deployment
	services     map[string]*corev1.Service
	configMaps   map[string]*corev1.ConfigMap
	jobs         map[string]*batchv1.Job
	hpas         map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs         map[string]*policyv1.PodDisruptionBudget
	netpols      map[string]*networkingv1.NetworkPolicy
	ingresses    map[string]*networkingv1.Ingress
	namespaces   map[string]*corev1.Namespace
	objectMetas  []metav1.ObjectMeta
	objectKinds  []string
	podTemplates map[string]*corev1.PodTemplateSpec // Deployments and Jobs, by name
}

func render(t *testing.T, rel string) *rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), rootPath(t, rel))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", rel, err)
	}
	r := &rendered{
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, jobs: map[string]*batchv1.Job{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		netpols: map[string]*networkingv1.NetworkPolicy{}, ingresses: map[string]*networkingv1.Ingress{},
		namespaces: map[string]*corev1.Namespace{}, podTemplates: map[string]*corev1.PodTemplateSpec{},
	}
	for _, res := range m.Resources() {
		y, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		gvk := res.GetApiVersion() + "/" + res.GetKind()
		var obj interface {
			GetName() string
		}
		var meta *metav1.ObjectMeta
		decode := func(v any) {
			// Strict: a field the API type does not have is an error, as
			// the API server's strict field validation would report.
			if err := k8syaml.UnmarshalStrict(y, v); err != nil {
				t.Errorf("%s %s: %v", gvk, res.GetName(), err)
			}
		}
		switch gvk {
		case "apps/v1/Deployment":
			d := &appsv1.Deployment{}
			decode(d)
			r.deployments[d.Name], obj, meta = d, d, &d.ObjectMeta
			r.podTemplates["Deployment/"+d.Name] = &d.Spec.Template
		case "v1/Service":
			s := &corev1.Service{}
			decode(s)
			r.services[s.Name], obj, meta = s, s, &s.ObjectMeta
		case "v1/ConfigMap":
			c := &corev1.ConfigMap{}
			decode(c)
			r.configMaps[c.Name], obj, meta = c, c, &c.ObjectMeta
		case "batch/v1/Job":
			j := &batchv1.Job{}
			decode(j)
			r.jobs[j.Name], obj, meta = j, j, &j.ObjectMeta
			r.podTemplates["Job/"+j.Name] = &j.Spec.Template
		case "autoscaling/v2/HorizontalPodAutoscaler":
			h := &autoscalingv2.HorizontalPodAutoscaler{}
			decode(h)
			r.hpas[h.Name], obj, meta = h, h, &h.ObjectMeta
		case "policy/v1/PodDisruptionBudget":
			p := &policyv1.PodDisruptionBudget{}
			decode(p)
			r.pdbs[p.Name], obj, meta = p, p, &p.ObjectMeta
		case "networking.k8s.io/v1/NetworkPolicy":
			n := &networkingv1.NetworkPolicy{}
			decode(n)
			r.netpols[n.Name], obj, meta = n, n, &n.ObjectMeta
		case "networking.k8s.io/v1/Ingress":
			i := &networkingv1.Ingress{}
			decode(i)
			r.ingresses[i.Name], obj, meta = i, i, &i.ObjectMeta
		case "v1/Namespace":
			n := &corev1.Namespace{}
			decode(n)
			r.namespaces[n.Name], obj, meta = n, n, &n.ObjectMeta
		default:
			t.Errorf("%s renders %s %s: not a kind these manifests should hold (a Secret never is)", rel, gvk, res.GetName())
			continue
		}
		_ = obj
		r.objectMetas = append(r.objectMetas, *meta)
		r.objectKinds = append(r.objectKinds, res.GetKind())
	}
	return r
}

// components are the four long-running processes, with their port.
var components = map[string]struct {
	port    int32
	metrics bool
	secrets []string
}{
	"authsvc": {8008, true, []string{"BIZOS_DATABASE_URL", "BIZOS_MASTER_KEYS", "BIZOS_ADMIN_PASSWORD"}},
	"brain":   {8000, true, []string{"BIZOS_DATABASE_URL", "BIZOS_MASTER_KEYS"}},
	"worker":  {9090, true, []string{"BIZOS_DATABASE_URL", "BIZOS_MASTER_KEYS"}},
	"portal":  {3000, false, nil},
}

// secretKeys are the keys of bizos-secrets the manifests may refer to.
var secretKeys = map[string]bool{"BIZOS_MASTER_KEYS": true, "BIZOS_DATABASE_URL": true, "BIZOS_ADMIN_PASSWORD": true, "BIZOS_REDIS_URL": true, "TEMPORAL_API_KEY": true}

// secretish names a setting that must come from a Secret, never a literal.
var secretish = regexp.MustCompile(`KEY|PASSWORD|SECRET|TOKEN|DATABASE_URL|CREDENTIAL`)

// userinfoPassword finds a password inside a URL (scheme://user:pass@host).
var userinfoPassword = regexp.MustCompile(`://[^/@\s]*:[^/@\s]+@`)

func TestKubernetesBase(t *testing.T) {
	r := render(t, "deploy/k8s/base")
	checkKubernetes(t, r, "latest")
	for i, m := range r.objectMetas {
		if m.Namespace != "" {
			t.Errorf("base %s %s sets namespace %q; the base is namespace-less", r.objectKinds[i], m.Name, m.Namespace)
		}
	}
	if len(r.namespaces) != 0 || len(r.ingresses) != 0 {
		t.Errorf("the base holds no Namespace and no Ingress (overlays do)")
	}
}

func TestKubernetesProduction(t *testing.T) {
	base := render(t, "deploy/k8s/base")
	r := render(t, "deploy/k8s/overlays/production")
	checkKubernetes(t, r, "0.1.0")
	for i, m := range r.objectMetas {
		if r.objectKinds[i] == "Namespace" {
			continue
		}
		if m.Namespace != "bizos" {
			t.Errorf("%s %s: namespace %q, want bizos", r.objectKinds[i], m.Name, m.Namespace)
		}
	}
	if ns, ok := r.namespaces["bizos"]; !ok || ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("the overlay creates namespace bizos with the restricted Pod Security Standard enforced")
	}
	for name, d := range r.deployments {
		if d.Spec.Replicas == nil || *d.Spec.Replicas < 3 {
			t.Errorf("%s: production runs at least 3 replicas", name)
		}
		bc, pc := base.deployments[name].Spec.Template.Spec.Containers[0].Resources, d.Spec.Template.Spec.Containers[0].Resources
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q := pc.Requests[res]; q.Cmp(bc.Requests[res]) < 0 {
				t.Errorf("%s: production %s request %s below the base's %s", name, res, q.String(), bc.Requests.Name(res, resource.DecimalSI))
			}
		}
	}
	for name, h := range r.hpas {
		b := base.hpas[name]
		if *h.Spec.MinReplicas < 3 || h.Spec.MaxReplicas <= b.Spec.MaxReplicas {
			t.Errorf("HPA %s: production bounds %d-%d, want above the base's %d-%d", name, *h.Spec.MinReplicas, h.Spec.MaxReplicas, *b.Spec.MinReplicas, b.Spec.MaxReplicas)
		}
	}

	ing, ok := r.ingresses["bizos"]
	if !ok {
		t.Fatal("no Ingress bizos")
	}
	if len(ing.Spec.TLS) == 0 || ing.Spec.TLS[0].SecretName == "" {
		t.Errorf("the Ingress has no TLS")
	}
	tlsHosts := map[string]bool{}
	for _, tls := range ing.Spec.TLS {
		for _, h := range tls.Hosts {
			tlsHosts[h] = true
		}
	}
	routes := map[string]string{}
	for _, rule := range ing.Spec.Rules {
		if !tlsHosts[rule.Host] {
			t.Errorf("host %s is not covered by TLS", rule.Host)
		}
		for _, p := range rule.HTTP.Paths {
			svc, ok := r.services[p.Backend.Service.Name]
			if !ok {
				t.Errorf("Ingress path %s: no Service %s", p.Path, p.Backend.Service.Name)
				continue
			}
			if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
				return sp.Name == p.Backend.Service.Port.Name || (p.Backend.Service.Port.Number != 0 && sp.Port == p.Backend.Service.Port.Number)
			}) {
				t.Errorf("Ingress path %s: Service %s has no port %+v", p.Path, svc.Name, p.Backend.Service.Port)
			}
			routes[string(*p.PathType)+" "+p.Path] = p.Backend.Service.Name
		}
		cfg := r.configMaps["bizos-config"].Data
		for _, k := range []string{"BIZOS_PUBLIC_URL", "BIZOS_PORTAL_URL"} {
			if u, err := url.Parse(cfg[k]); err != nil || u.Scheme != "https" || u.Host != rule.Host {
				t.Errorf("%s = %q, want https://%s (the Ingress host)", k, cfg[k], rule.Host)
			}
		}
	}
	want := map[string]string{"Prefix /hooks": "bizos-brain", "Exact /api/v1/oauth/callback": "bizos-brain", "Prefix /": "bizos-portal"}
	if !mapsEqual(routes, want) {
		t.Errorf("Ingress routes %v, want %v", routes, want)
	}
}

func checkKubernetes(t *testing.T, r *rendered, tag string) {
	t.Helper()
	cm, ok := r.configMaps["bizos-config"]
	if !ok {
		t.Fatal("no ConfigMap bizos-config")
	}
	for k, v := range cm.Data {
		if !knownSetting(t, k) {
			t.Errorf("bizos-config: %s is not a setting the binary reads", k)
		}
		if secretish.MatchString(k) || userinfoPassword.MatchString(v) {
			t.Errorf("bizos-config: %s looks like a secret; it belongs in bizos-secrets", k)
		}
	}
	for name := range components {
		if _, ok := r.deployments["bizos-"+name]; !ok {
			t.Errorf("no Deployment bizos-%s", name)
		}
	}
	if len(r.deployments) != len(components) {
		t.Errorf("Deployments %v, want one per component", sortedKeys(r.deployments))
	}
	for name, d := range r.deployments {
		comp := strings.TrimPrefix(name, "bizos-")
		want := components[comp]
		spec := d.Spec.Template.Spec
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: selector %v does not match its pods' labels %v", name, d.Spec.Selector, d.Spec.Template.Labels)
		}
		if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds != 45 {
			t.Errorf("%s: terminationGracePeriodSeconds %v, want 45", name, spec.TerminationGracePeriodSeconds)
		}
		checkPod(t, "Deployment "+name, &d.Spec.Template, comp, tag)
		c := spec.Containers[0]
		port := containerPort(c, want.port)
		if port == nil {
			t.Errorf("%s: container does not listen on %d", name, want.port)
			continue
		}
		for probeName, probe := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
			wantPath := map[string]string{"readiness": "/readyz", "liveness": "/healthz"}[probeName]
			if probe == nil || probe.HTTPGet == nil {
				t.Errorf("%s: no HTTP %s probe", name, probeName)
				continue
			}
			if probe.HTTPGet.Path != wantPath || !portRefers(probe.HTTPGet.Port, *port) {
				t.Errorf("%s: %s probe GET %s on %s, want %s on %d", name, probeName, probe.HTTPGet.Path, probe.HTTPGet.Port.String(), wantPath, want.port)
			}
		}
		ann := d.Spec.Template.Annotations
		if want.metrics {
			if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != strconv.Itoa(int(want.port)) || ann["prometheus.io/path"] != "/metrics" {
				t.Errorf("%s: scrape annotations %v, want /metrics on %d", name, ann, want.port)
			}
		} else if ann["prometheus.io/scrape"] == "true" {
			t.Errorf("%s serves no /metrics but asks to be scraped", name)
		}
		refs := secretRefs(c)
		for _, k := range want.secrets {
			if !refs[k] {
				t.Errorf("%s: %s does not come from bizos-secrets", name, k)
			}
		}
		if comp == "portal" && len(refs) > 0 {
			t.Errorf("portal needs no secret, gets %v", sortedKeys(refs))
		}
	}
	job, ok := r.jobs["bizos-migrate"]
	if !ok {
		t.Fatal("no Job bizos-migrate")
	}
	checkPod(t, "Job bizos-migrate", &job.Spec.Template, "migrate", tag)
	if refs := secretRefs(job.Spec.Template.Spec.Containers[0]); !refs["BIZOS_DATABASE_URL"] {
		t.Errorf("the migrate Job needs BIZOS_DATABASE_URL from bizos-secrets")
	}

	// Services select pods that exist and name ports those pods have.
	for name, s := range r.services {
		pods := matchingTemplates(r, s.Spec.Selector)
		if len(s.Spec.Selector) == 0 || len(pods) != 1 {
			t.Errorf("Service %s selects %d pod templates (%v), want exactly one", name, len(pods), s.Spec.Selector)
			continue
		}
		for _, sp := range s.Spec.Ports {
			found := slices.ContainsFunc(pods[0].Spec.Containers, func(c corev1.Container) bool {
				return slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return portRefers(sp.TargetPort, cp) })
			})
			if !found {
				t.Errorf("Service %s: targetPort %s is no container port", name, sp.TargetPort.String())
			}
		}
	}
	for _, svc := range []string{"bizos-authsvc", "bizos-brain", "bizos-portal"} {
		if _, ok := r.services[svc]; !ok {
			t.Errorf("no Service %s", svc)
		}
	}
	// The in-cluster URLs in the ConfigMap name these Services.
	for k, svc := range map[string]string{"BIZOS_AUTH_URL": "bizos-authsvc", "BIZOS_BRAIN_URL": "bizos-brain"} {
		u, err := url.Parse(cm.Data[k])
		if err != nil || u.Hostname() != svc || r.services[svc] == nil || strconv.Itoa(int(r.services[svc].Spec.Ports[0].Port)) != u.Port() {
			t.Errorf("%s = %q does not reach Service %s", k, cm.Data[k], svc)
		}
	}

	// HPAs scale Deployments that exist; PDBs cover each component.
	for name, h := range r.hpas {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || r.deployments[ref.Name] == nil {
			t.Errorf("HPA %s targets %s %s, which does not exist", name, ref.Kind, ref.Name)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
			t.Errorf("HPA %s: bounds %v-%d", name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		if len(h.Spec.Metrics) == 0 {
			t.Errorf("HPA %s has no metric", name)
		}
	}
	for _, want := range []string{"bizos-brain", "bizos-worker"} {
		if _, ok := r.hpas[want]; !ok {
			t.Errorf("no HPA %s", want)
		}
	}
	covered := map[string]bool{}
	for name, p := range r.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil {
			t.Errorf("PDB %s: %v", name, err)
			continue
		}
		var matched []string
		for dn, d := range r.deployments {
			if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				matched = append(matched, dn)
			}
		}
		if len(matched) != 1 {
			t.Errorf("PDB %s matches Deployments %v, want exactly one", name, matched)
			continue
		}
		covered[matched[0]] = true
		if p.Spec.MinAvailable == nil && p.Spec.MaxUnavailable == nil {
			t.Errorf("PDB %s sets neither minAvailable nor maxUnavailable", name)
		}
	}
	for name := range r.deployments {
		if !covered[name] {
			t.Errorf("Deployment %s has no PodDisruptionBudget", name)
		}
	}

	checkNetworkPolicies(t, r)
}

func checkPod(t *testing.T, what string, tpl *corev1.PodTemplateSpec, comp, tag string) {
	t.Helper()
	spec := tpl.Spec
	if len(spec.Containers) != 1 {
		t.Errorf("%s: %d containers, want 1", what, len(spec.Containers))
		return
	}
	c := spec.Containers[0]
	if want := "ghcr.io/bizoshub/bizos:" + tag; c.Image != want {
		t.Errorf("%s: image %s, want %s", what, c.Image, want)
	}
	if !slices.Equal(c.Args, []string{comp}) || len(c.Command) != 0 {
		t.Errorf("%s: args %v (command %v), want [%s] with the image's entrypoint", what, c.Args, c.Command, comp)
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v, want runAsNonRoot and seccomp RuntimeDefault", what, psc)
	}
	if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		t.Errorf("%s runs as root", what)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 ||
		(sc.Privileged != nil && *sc.Privileged) {
		t.Errorf("%s: container securityContext %+v, want readOnlyRootFilesystem, no privilege escalation, all capabilities dropped", what, sc)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: the bizos processes do not talk to the API server; automountServiceAccountToken: false", what)
	}
	// the read-only root needs a writable /tmp (BIZOS_DATA_DIR lives there)
	if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/tmp" }) {
		t.Errorf("%s: no writable /tmp", what)
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[res]
		lim, okLim := c.Resources.Limits[res]
		if !okReq || !okLim || req.IsZero() || req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %s / limit %s, want both, request <= limit", what, res, req.String(), lim.String())
		}
	}
	if !slices.ContainsFunc(c.EnvFrom, func(e corev1.EnvFromSource) bool {
		return e.ConfigMapRef != nil && e.ConfigMapRef.Name == "bizos-config"
	}) {
		t.Errorf("%s: no envFrom ConfigMap bizos-config", what)
	}
	for _, e := range c.EnvFrom {
		if e.SecretRef != nil && e.SecretRef.Name != "bizos-secrets" {
			t.Errorf("%s: envFrom Secret %s", what, e.SecretRef.Name)
		}
	}
	for _, e := range c.Env {
		if !knownSetting(t, e.Name) {
			t.Errorf("%s: env %s is not a setting the binary reads", what, e.Name)
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			if ref.Name != "bizos-secrets" || !secretKeys[ref.Key] || ref.Key != e.Name {
				t.Errorf("%s: env %s from Secret %s key %s", what, e.Name, ref.Name, ref.Key)
			}
			continue
		}
		if secretish.MatchString(e.Name) || userinfoPassword.MatchString(e.Value) {
			t.Errorf("%s: env %s has a literal value; secrets come from bizos-secrets", what, e.Name)
		}
	}
}

func secretRefs(c corev1.Container) map[string]bool {
	out := map[string]bool{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Optional == nil {
			out[e.ValueFrom.SecretKeyRef.Key] = true
		}
	}
	return out
}

func containerPort(c corev1.Container, port int32) *corev1.ContainerPort {
	for i := range c.Ports {
		if c.Ports[i].ContainerPort == port {
			return &c.Ports[i]
		}
	}
	return nil
}

func portRefers(p intstr.IntOrString, cp corev1.ContainerPort) bool {
	if p.Type == intstr.String {
		return p.StrVal == cp.Name
	}
	return p.IntVal == cp.ContainerPort
}

func matchingTemplates(r *rendered, selector map[string]string) []*corev1.PodTemplateSpec {
	var out []*corev1.PodTemplateSpec
	sel := labels.SelectorFromSet(selector)
	for key, tpl := range r.podTemplates {
		if strings.HasPrefix(key, "Deployment/") && sel.Matches(labels.Set(tpl.Labels)) {
			out = append(out, tpl)
		}
	}
	return out
}

// checkNetworkPolicies: ingress is denied by default; each component is
// reachable on its port only from where the README says; the bizos pods'
// egress is limited.
func checkNetworkPolicies(t *testing.T, r *rendered) {
	t.Helper()
	var defaultDeny bool
	for _, np := range r.netpols {
		if len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 &&
			slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && len(np.Spec.Ingress) == 0 {
			defaultDeny = true
		}
	}
	if !defaultDeny {
		t.Errorf("no default-deny ingress NetworkPolicy")
	}
	// who may reach each component: "any", "pod:<component>" or "ns:<namespace>"
	want := map[string][]string{
		"portal":  {"any"},
		"brain":   {"ns:ingress-nginx", "ns:monitoring", "pod:portal"},
		"authsvc": {"ns:monitoring", "pod:brain", "pod:portal"},
		"worker":  {"ns:monitoring"},
	}
	for comp, spec := range components {
		d := r.deployments["bizos-"+comp]
		if d == nil {
			continue
		}
		podLabels := labels.Set(d.Spec.Template.Labels)
		var peers []string
		for name, np := range r.netpols {
			sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			if err != nil {
				t.Errorf("NetworkPolicy %s: %v", name, err)
				continue
			}
			if !sel.Matches(podLabels) {
				continue
			}
			for _, rule := range np.Spec.Ingress {
				if len(rule.Ports) > 0 && !slices.ContainsFunc(rule.Ports, func(p networkingv1.NetworkPolicyPort) bool {
					return p.Port != nil && p.Port.IntValue() == int(spec.port)
				}) {
					t.Errorf("NetworkPolicy %s admits %s on ports other than %d", name, comp, spec.port)
				}
				if len(rule.From) == 0 {
					peers = append(peers, "any")
				}
				for _, from := range rule.From {
					switch {
					case from.NamespaceSelector != nil:
						peers = append(peers, "ns:"+from.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
					case from.PodSelector != nil:
						peers = append(peers, "pod:"+from.PodSelector.MatchLabels["app.kubernetes.io/component"])
					default:
						peers = append(peers, "ipBlock")
					}
				}
			}
		}
		sort.Strings(peers)
		if !slices.Equal(peers, want[comp]) {
			t.Errorf("%s is reachable from %v, want %v", comp, peers, want[comp])
		}
	}
	// Egress: every bizos pod (the Job included) is under an egress policy
	// that allows DNS and the data stores.
	for key, tpl := range r.podTemplates {
		var dns, stores bool
		for _, np := range r.netpols {
			sel, _ := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || !sel.Matches(labels.Set(tpl.Labels)) {
				continue
			}
			for _, rule := range np.Spec.Egress {
				for _, p := range rule.Ports {
					switch p.Port.IntValue() {
					case 53:
						dns = true
					case 5432:
						stores = true
					}
				}
			}
		}
		if !dns || !stores {
			t.Errorf("%s: egress policy must allow DNS and PostgreSQL (dns=%v postgres=%v)", key, dns, stores)
		}
	}
}

// TestNoSecretsInManifests: no Secret manifest, secretGenerator or literal
// key in any kustomization under deploy/k8s.
func TestNoSecretsInManifests(t *testing.T) {
	keyLike := regexp.MustCompile(`\b\d+:[A-Za-z0-9+/]{43}=`)
	err := filepath.WalkDir(rootPath(t, "deploy/k8s"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			l := strings.TrimSpace(line)
			if strings.HasPrefix(l, "#") {
				continue
			}
			if regexp.MustCompile(`^kind:\s*Secret\s*$`).MatchString(l) || strings.HasPrefix(l, "secretGenerator:") || keyLike.MatchString(l) {
				t.Errorf("%s:%d: %s (secrets are created with kubectl or External Secrets, never committed)", path, i+1, l)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
