package playbooks

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"

	hub "github.com/bizoshub/bizos"
)

//go:embed templates/*.yaml
var templateFiles embed.FS

// Param is a value a template needs from the tenant: a connection (of a
// provider), an agent, or text. Templates write it as ${name}.
type Param struct {
	Name     string `json:"name" yaml:"name"`
	Kind     string `json:"kind" yaml:"kind"` // connection, agent or text
	Provider string `json:"provider,omitempty" yaml:"provider"`
	Help     string `json:"help" yaml:"help"`
}

// PlaybookTemplate is a ready-made playbook with parameters.
type PlaybookTemplate struct {
	ID          string         `json:"id" yaml:"id"`
	Name        string         `json:"name" yaml:"name"`
	Description string         `json:"description" yaml:"description"`
	Params      []Param        `json:"params" yaml:"params"`
	Playbook    map[string]any `json:"playbook" yaml:"playbook"`
}

var (
	templatesOnce sync.Once
	templates     map[string]*PlaybookTemplate
	templatesErr  error
)

func loadTemplates() {
	templates = map[string]*PlaybookTemplate{}
	templatesErr = fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := templateFiles.ReadFile(path)
		if err != nil {
			return err
		}
		var t PlaybookTemplate
		if err := yaml.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("playbook template %s: %w", path, err)
		}
		templates[t.ID] = &t
		return nil
	})
}

// Templates returns the ready-made templates, by id.
func Templates() ([]*PlaybookTemplate, error) {
	templatesOnce.Do(loadTemplates)
	out := make([]*PlaybookTemplate, 0, len(templates))
	for _, t := range templates {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, templatesErr
}

// Template returns one template.
func Template(id string) (*PlaybookTemplate, bool) {
	templatesOnce.Do(loadTemplates)
	t, ok := templates[id]
	return t, ok
}

// Instantiate fills the template's ${param}s and returns its definition;
// a missing parameter answers EINVALID naming it.
func (t *PlaybookTemplate) Instantiate(params map[string]string) (Definition, error) {
	raw, err := json.Marshal(t.Playbook)
	if err != nil {
		return Definition{}, fmt.Errorf("encode template %s: %w", t.ID, err)
	}
	text := string(raw)
	for _, p := range t.Params {
		v := strings.TrimSpace(params[p.Name])
		if v == "" {
			return Definition{}, hub.InvalidField("params."+p.Name, "is required: "+p.Help)
		}
		enc, _ := json.Marshal(v)
		text = strings.ReplaceAll(text, "${"+p.Name+"}", strings.Trim(string(enc), `"`))
	}
	var d Definition
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return Definition{}, fmt.Errorf("decode template %s: %w", t.ID, err)
	}
	return d, nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
