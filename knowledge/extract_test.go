package knowledge_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/knowledge"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		in          string
		want        string
		headings    []string
	}{
		{
			name:        "plain text keeps lines and collapses blank runs",
			contentType: hub.ContentTypeText,
			in:          "\xEF\xBB\xBFFirst line\r\nsecond line   \r\n\r\n\r\n\r\nNext\tparagraph\x00.\n",
			want:        "First line\nsecond line\n\nNext\tparagraph.",
		},
		{
			name:        "windows-1252 text",
			contentType: hub.ContentTypeText,
			in:          "caf\xe9 \x93quoted\x94",
			want:        "café “quoted”",
		},
		{
			name:        "markdown",
			contentType: hub.ContentTypeMarkdown,
			in: "---\ntitle: Front matter\n---\n# Refund policy\n\nWe refund **damaged** items within _30 days_; see [the form](https://x.example/f) &amp; call.\n" +
				"Second line of the paragraph.\n\n## Steps\n\n1. Write to us\n2. Send `the item` back\n   - with the receipt\n\n" +
				"```go\nfmt.Println(\"code\")\n```\n\n> Quoted *text*\n\n| Item | Days |\n|------|------|\n| Shoes | 30 |\n\n" +
				"![A diagram](d.png) <span>inline html</span> \\*not emphasis\\*\n\n---\n\n<div>\n<p>Block <b>HTML</b></p>\n</div>\n",
			want: "Refund policy\n\nWe refund damaged items within 30 days; see the form & call. Second line of the paragraph.\n\n" +
				"Steps\n\n- Write to us\n- Send the item back\n  - with the receipt\n\nfmt.Println(\"code\")\n\nQuoted text\n\n" +
				"Item | Days\nShoes | 30\n\nA diagram inline html *not emphasis*\n\nBlock HTML",
			headings: []string{"Refund policy", "Steps"},
		},
		{
			name:        "html drops scripts, styles and markup",
			contentType: hub.ContentTypeHTML,
			in: `<!doctype html><html><head><title>Shop FAQ</title><style>p{color:red}</style><script>var x = "secret";</script></head>
				<body><nav><a href="/">Home</a></nav><h1>Shipping &amp; returns</h1><p>We ship   in <b>2 days</b>.<br>Returns are free.</p>
				<ul><li>Shoes</li><li>Bags</li></ul><table><tr><th>Item</th><th>Days</th></tr><tr><td>Shoes</td><td>30</td></tr></table>
				<noscript>Enable JS</noscript><pre>  keep
   spacing</pre><img alt="A map"><h2>Contact</h2><div>Mail us.</div></body></html>`,
			want: "Home\n\nShipping & returns\n\nWe ship in 2 days.\n\nReturns are free.\n\n- Shoes\n\n- Bags\n\nItem | Days\n\nShoes | 30\n\n" +
				"  keep\n   spacing\n\nA map\n\nContact\n\nMail us.",
			headings: []string{"Shipping & returns", "Contact"},
		},
		{
			name:        "html without headings is titled by its title",
			contentType: hub.ContentTypeHTML,
			in:          `<html><head><title>Terms</title></head><body><p>Be nice.</p></body></html>`,
			want:        "Terms\n\nBe nice.",
			headings:    []string{"Terms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := knowledge.Extract(tt.contentType, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Body); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
			var headings []string
			for _, m := range got.Marks {
				if m.Heading != "" {
					headings = append(headings, m.Heading)
					if !strings.HasPrefix(got.Body[m.Offset:], m.Heading) {
						t.Errorf("heading %q marked at %d, where the text is %q", m.Heading, m.Offset, got.Body[m.Offset:min(len(got.Body), m.Offset+20)])
					}
				}
			}
			if diff := cmp.Diff(tt.headings, headings); diff != "" {
				t.Errorf("headings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtractPDF(t *testing.T) {
	pages := [][]string{
		{"Refund policy", "", "We refund damaged items", "within thirty days."},
		{"Shipping takes two days."},
	}
	for _, kern := range []bool{false, true} {
		got, err := knowledge.Extract(hub.ContentTypePDF, makePDF(pages, kern))
		if err != nil {
			t.Fatal(err)
		}
		want := "Refund policy\n\nWe refund damaged items\nwithin thirty days.\n\nShipping takes two days."
		if diff := cmp.Diff(want, got.Body); diff != "" {
			t.Errorf("kern %v: text (-want +got):\n%s", kern, diff)
		}
		wantMarks := []knowledge.Mark{{Offset: 0, Page: 1}, {Offset: strings.Index(want, "Shipping"), Page: 2}}
		if diff := cmp.Diff(wantMarks, got.Marks); diff != "" {
			t.Errorf("kern %v: marks (-want +got):\n%s", kern, diff)
		}
	}
}

func TestExtractRefusesUnreadable(t *testing.T) {
	tests := []struct {
		name, contentType, in string
	}{
		{"broken pdf", hub.ContentTypePDF, "%PDF-1.4\nnot really a pdf"},
		{"pdf without text", hub.ContentTypePDF, string(makePDF([][]string{{}}, false))},
		{"empty text", hub.ContentTypeText, " \n\n "},
		{"unknown type", "image/png", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := knowledge.Extract(tt.contentType, []byte(tt.in))
			if hub.ErrorCode(err) != hub.EINVALID {
				t.Errorf("err = %v, want invalid", err)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	pdf := makePDF([][]string{{"x"}}, false)
	tests := []struct {
		declared, name string
		data           []byte
		want           string
		wantErr        bool
	}{
		{"application/pdf", "a.pdf", pdf, hub.ContentTypePDF, false},
		{"", "notes.md", []byte("# x"), hub.ContentTypeMarkdown, false},
		{"text/plain; charset=utf-8", "notes.md", []byte("# x"), hub.ContentTypeMarkdown, false},
		{"text/markdown", "x", []byte("# x"), hub.ContentTypeMarkdown, false},
		{"application/octet-stream", "page.HTM", []byte("<p>x"), hub.ContentTypeHTML, false},
		{"", "upload", pdf, hub.ContentTypePDF, false},
		{"", "upload", []byte("<!DOCTYPE html><p>x"), hub.ContentTypeHTML, false},
		{"", "upload", []byte("just words"), hub.ContentTypeText, false},
		{"image/png", "a.png", []byte("\x89PNG"), "", true},
		{"", "upload", []byte("\x89PNG\r\n\x1a\n\x00\x00"), "", true},
	}
	for _, tt := range tests {
		got, err := knowledge.ContentType(tt.declared, tt.name, tt.data)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ContentType(%q, %q) = %q, %v; want %q (error %v)", tt.declared, tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	if err := knowledge.CheckContent(hub.ContentTypePDF, []byte("hello")); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("a PDF without header: %v", err)
	}
	if err := knowledge.CheckContent(hub.ContentTypeText, []byte("a\x00b")); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("text with NUL: %v", err)
	}
}
