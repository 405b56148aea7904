package knowledge_test

import (
	"context"
	"math/rand"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/knowledge"
)

func texts(chunks []hub.Chunk) []string {
	out := make([]string, len(chunks))
	for i, c := range chunks {
		out[i] = c.Text
	}
	return out
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		body string
		opts knowledge.ChunkOptions
		want []string
	}{
		{
			name: "short text is one chunk",
			body: "Hello world.",
			want: []string{"Hello world."},
		},
		{
			name: "paragraphs are packed and never split when they fit",
			body: "Para one is here.\n\nPara two is here.\n\nPara three is here.\n\nPara four.",
			opts: knowledge.ChunkOptions{Size: 40, Overlap: -1},
			want: []string{"Para one is here.\n\nPara two is here.", "Para three is here.\n\nPara four."},
		},
		{
			name: "long paragraphs split at sentences, with overlap from a sentence start",
			body: "Alpha beta gamma. Delta epsilon zeta. Eta theta iota. Kappa lambda mu.",
			opts: knowledge.ChunkOptions{Size: 40, Overlap: 20},
			want: []string{"Alpha beta gamma. Delta epsilon zeta.", "Delta epsilon zeta. Eta theta iota.", "Eta theta iota. Kappa lambda mu."},
		},
		{
			name: "long sentences split at words, overlap from a word start",
			body: "one two three four five six seven eight nine ten eleven twelve",
			opts: knowledge.ChunkOptions{Size: 25, Overlap: 8},
			want: []string{"one two three four five", "five six seven eight", "eight nine ten eleven", "eleven twelve"},
		},
		{
			name: "a word longer than the size is cut",
			body: strings.Repeat("x", 50),
			opts: knowledge.ChunkOptions{Size: 20, Overlap: -1},
			want: []string{strings.Repeat("x", 20), strings.Repeat("x", 20), strings.Repeat("x", 10)},
		},
		{
			name: "sizes count characters, not bytes",
			body: "ééééé ééééé ééééé",
			opts: knowledge.ChunkOptions{Size: 20, Overlap: -1},
			want: []string{"ééééé ééééé ééééé"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := knowledge.Split(&knowledge.Text{Body: tt.body}, tt.opts)
			if diff := cmp.Diff(tt.want, texts(chunks)); diff != "" {
				t.Errorf("chunks (-want +got):\n%s", diff)
			}
			for i, c := range chunks {
				if c.Position != i || tt.body[c.StartOffset:c.EndOffset] != c.Text {
					t.Errorf("chunk %d: position %d, offsets [%d,%d) do not hold %q", i, c.Position, c.StartOffset, c.EndOffset, c.Text)
				}
			}
		})
	}
}

func TestSplitHeadingsAndPages(t *testing.T) {
	body := "Intro\n\nSome words here.\n\nRefunds\n\nWe refund things.\n\nMore about refunds."
	marks := []knowledge.Mark{{Offset: 0, Heading: "Intro", Page: 1}, {Offset: strings.Index(body, "Refunds"), Heading: "Refunds"},
		{Offset: strings.Index(body, "More"), Page: 2}}
	chunks := knowledge.Split(&knowledge.Text{Body: body, Marks: marks}, knowledge.ChunkOptions{Size: 30, Overlap: -1})
	type hp struct {
		Heading string
		Page    int
	}
	var got []hp
	for _, c := range chunks {
		got = append(got, hp{c.Heading, c.Page})
	}
	want := []hp{{"Intro", 1}, {"Refunds", 1}, {"Refunds", 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headings and pages (-want +got):\n%s\nchunks: %q", diff, texts(chunks))
	}
}

// TestSplitProperties checks, on random texts, that chunks respect the size,
// cover every word in order, and overlap about as asked.
func TestSplitProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	words := []string{"refund", "policy", "é", "shipping", "days", "a", "supercalifragilistic", "Zoë", "ok."}
	for round := 0; round < 200; round++ {
		var b strings.Builder
		for i := 0; i < 50+rng.Intn(400); i++ {
			b.WriteString(words[rng.Intn(len(words))])
			switch rng.Intn(12) {
			case 0:
				b.WriteString("\n\n")
			case 1:
				b.WriteString(". ")
			case 2:
				b.WriteString("\n")
			default:
				b.WriteString(" ")
			}
		}
		body := b.String()
		opts := knowledge.ChunkOptions{Size: 20 + rng.Intn(300), Overlap: rng.Intn(80)}
		chunks := knowledge.Split(&knowledge.Text{Body: body}, opts)
		prevEnd := 0
		for i, c := range chunks {
			if n := utf8.RuneCountInString(c.Text); n > opts.Size {
				t.Fatalf("round %d: chunk %d has %d characters > size %d", round, i, n, opts.Size)
			}
			if body[c.StartOffset:c.EndOffset] != c.Text {
				t.Fatalf("round %d: chunk %d offsets do not hold its text", round, i)
			}
			// No text is skipped between chunks.
			if gap := body[prevEnd:max(prevEnd, c.StartOffset)]; strings.TrimFunc(gap, unicode.IsSpace) != "" {
				t.Fatalf("round %d: text %q between chunks %d and %d is in no chunk", round, gap, i-1, i)
			}
			if c.EndOffset <= prevEnd {
				t.Fatalf("round %d: chunk %d does not advance", round, i)
			}
			prevEnd = c.EndOffset
		}
		if rest := body[prevEnd:]; strings.TrimFunc(rest, unicode.IsSpace) != "" {
			t.Fatalf("round %d: the end %q is in no chunk", round, rest)
		}
	}
}

func TestSplitterRefusesTooManyChunks(t *testing.T) {
	s := &knowledge.Splitter{Options: knowledge.ChunkOptions{Size: 20, Overlap: -1}, MaxChunks: 3}
	doc := &hub.Document{ID: "d", KnowledgeBaseID: "kb", ContentType: hub.ContentTypeText}
	if _, err := s.Split(context.Background(), doc, []byte(strings.Repeat("word ", 100))); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("err = %v, want invalid", err)
	}
	chunks, err := s.Split(context.Background(), doc, []byte("a few words"))
	if err != nil || len(chunks) != 1 || chunks[0].DocumentID != "d" || chunks[0].KnowledgeBaseID != "kb" {
		t.Errorf("chunks = %+v, %v", chunks, err)
	}
}
