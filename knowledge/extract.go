package knowledge

import (
	"bytes"
	"fmt"
	"math"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	hub "github.com/bizoshub/bizos"
)

// Text is a document's extracted plain text with marks saying where its
// sections and pages start.
type Text struct {
	Body string
	// Marks are in ascending Offset order.
	Marks []Mark
}

// Mark is a place in a Text: a heading starts there, or a page.
type Mark struct {
	Offset  int    // byte offset in Body
	Heading string // the heading that starts here, if any
	Page    int    // the PDF page that starts here (from 1), if any
}

// ContentType decides a document's content type from what the uploader
// declared, the file name and the bytes: one of the four hub.ContentType*
// values, or EINVALID for anything else.
func ContentType(declared, name string, data []byte) (string, error) {
	mt := ""
	if declared != "" {
		if parsed, _, err := mime.ParseMediaType(declared); err == nil {
			mt = strings.ToLower(parsed)
		}
	}
	switch mt {
	case hub.ContentTypePDF, "application/x-pdf":
		return hub.ContentTypePDF, nil
	case hub.ContentTypeMarkdown, "text/x-markdown", "text/md":
		return hub.ContentTypeMarkdown, nil
	case hub.ContentTypeHTML, "application/xhtml+xml":
		return hub.ContentTypeHTML, nil
	case hub.ContentTypeText:
		// Browsers send text/plain for .md files; the name says better.
		if byExt := contentTypeByName(name); byExt == hub.ContentTypeMarkdown {
			return byExt, nil
		}
		return hub.ContentTypeText, nil
	case "", "application/octet-stream", "binary/octet-stream":
	default:
		return "", hub.InvalidField("content_type", fmt.Sprintf("%q is not supported; upload PDF, Markdown, HTML or plain text", mt))
	}
	if ct := contentTypeByName(name); ct != "" {
		return ct, nil
	}
	switch sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(data)); sniffed {
	case hub.ContentTypePDF:
		return hub.ContentTypePDF, nil
	case hub.ContentTypeHTML:
		return hub.ContentTypeHTML, nil
	case hub.ContentTypeText:
		return hub.ContentTypeText, nil
	}
	return "", hub.InvalidField("content_type", "could not be recognised; upload PDF, Markdown, HTML or plain text (or name the content type)")
}

func contentTypeByName(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf":
		return hub.ContentTypePDF
	case ".md", ".markdown", ".mdown", ".mkd":
		return hub.ContentTypeMarkdown
	case ".html", ".htm", ".xhtml":
		return hub.ContentTypeHTML
	case ".txt", ".text", ".log", ".csv":
		return hub.ContentTypeText
	}
	return ""
}

// CheckContent refuses bytes that cannot be of the content type: a PDF
// without the PDF header, or text with NUL bytes (a binary file).
func CheckContent(contentType string, data []byte) error {
	if len(data) == 0 {
		return hub.InvalidField("file", "is empty")
	}
	if contentType == hub.ContentTypePDF {
		head := data[:min(len(data), 1024)]
		if !bytes.Contains(head, []byte("%PDF-")) {
			return hub.InvalidField("file", "is not a PDF (no %PDF- header)")
		}
		return nil
	}
	if bytes.IndexByte(data[:min(len(data), 8192)], 0) >= 0 {
		return hub.InvalidField("file", "looks binary, not "+contentType)
	}
	return nil
}

// Extract returns the plain text of a document of one of the supported
// content types. Unreadable documents are EINVALID.
func Extract(contentType string, data []byte) (*Text, error) {
	var t *Text
	var err error
	switch contentType {
	case hub.ContentTypePDF:
		t, err = extractPDF(data)
	case hub.ContentTypeMarkdown:
		t = extractMarkdown(decodeText(data))
	case hub.ContentTypeHTML:
		t, err = extractHTML(data)
	case hub.ContentTypeText:
		w := &textBuilder{}
		w.text(decodeText(data))
		t = w.done()
	default:
		return nil, hub.InvalidField("content_type", fmt.Sprintf("%q is not supported", contentType))
	}
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(t.Body) == "" {
		return nil, hub.Errorf(hub.EINVALID, "No text could be extracted from the document (a scanned PDF needs OCR first).")
	}
	return t, nil
}

// decodeText returns data as UTF-8: without a byte-order mark, and read as
// Windows-1252 when it is not valid UTF-8.
func decodeText(data []byte) string {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if utf8.Valid(data) {
		return string(data)
	}
	var b strings.Builder
	b.Grow(len(data))
	for _, c := range data {
		if r, ok := cp1252[c]; ok {
			b.WriteRune(r)
		} else {
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// cp1252 maps the Windows-1252 bytes that differ from Latin-1.
var cp1252 = map[byte]rune{
	0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡', 0x88: 'ˆ', 0x89: '‰', 0x8A: 'Š',
	0x8B: '‹', 0x8C: 'Œ', 0x8E: 'Ž', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•', 0x96: '–', 0x97: '—',
	0x98: '˜', 0x99: '™', 0x9A: 'š', 0x9B: '›', 0x9C: 'œ', 0x9E: 'ž', 0x9F: 'Ÿ',
}

// textBuilder assembles extracted text from blocks separated by blank
// lines, recording marks.
type textBuilder struct {
	b     strings.Builder
	marks []Mark
}

// cleanLine drops control characters (but tabs) and trailing space.
func cleanLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return r
		case r == '\u00A0':
			return ' '
		case unicode.IsControl(r), r == utf8.RuneError, r == '\uFEFF':
			return -1
		}
		return r
	}, s)
	return strings.TrimRightFunc(s, unicode.IsSpace)
}

// text appends free text: lines are kept, runs of blank lines become one.
func (w *textBuilder) text(s string) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var para []string
	flush := func() {
		if len(para) > 0 {
			w.block(strings.Join(para, "\n"))
			para = para[:0]
		}
	}
	for _, line := range strings.Split(s, "\n") {
		line = cleanLine(line)
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		para = append(para, line)
	}
	flush()
}

// block appends one paragraph (already cleaned), after a blank line.
func (w *textBuilder) block(s string) {
	s = strings.Trim(s, "\n")
	if strings.TrimSpace(s) == "" {
		return
	}
	if w.b.Len() > 0 {
		w.b.WriteString("\n\n")
	}
	w.b.WriteString(s)
}

// inline appends a paragraph of inline text, collapsing its whitespace.
func (w *textBuilder) inline(s string) {
	w.block(cleanLine(strings.Join(strings.Fields(s), " ")))
}

// heading appends a heading and marks where it starts.
func (w *textBuilder) heading(s string) {
	s = cleanLine(strings.Join(strings.Fields(s), " "))
	if s == "" {
		return
	}
	off := w.b.Len()
	if off > 0 {
		off += 2 // the blank line block writes first
	}
	w.marks = append(w.marks, Mark{Offset: off, Heading: s})
	w.block(s)
}

// page marks where a PDF page starts (the next block).
func (w *textBuilder) page(n int) {
	off := w.b.Len()
	if off > 0 {
		off += 2
	}
	w.marks = append(w.marks, Mark{Offset: off, Page: n})
}

func (w *textBuilder) done() *Text {
	body := w.b.String()
	marks := w.marks[:0]
	for _, m := range w.marks {
		if m.Offset > len(body) {
			m.Offset = len(body)
		}
		marks = append(marks, m)
	}
	return &Text{Body: body, Marks: marks}
}

// --- Markdown ---

var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// extractMarkdown renders Markdown as plain text: headings, paragraphs,
// list items ("- "), code, table rows (cells joined by " | ") and
// blockquotes keep their text; markup, link targets and HTML tags go.
func extractMarkdown(src string) *Text {
	src = stripFrontMatter(src)
	source := []byte(src)
	doc := markdown.Parser().Parse(text.NewReader(source))
	w := &textBuilder{}
	mdBlocks(w, doc, source, "")
	return w.done()
}

// stripFrontMatter removes a leading YAML front matter block.
func stripFrontMatter(s string) string {
	if !strings.HasPrefix(s, "---\n") && !strings.HasPrefix(s, "---\r\n") {
		return s
	}
	rest := s[strings.Index(s, "\n")+1:]
	for off := 0; off < len(rest); {
		end := strings.IndexByte(rest[off:], '\n')
		line := rest[off:]
		if end >= 0 {
			line = rest[off : off+end]
		}
		if l := strings.TrimRight(line, "\r"); l == "---" || l == "..." {
			if end < 0 {
				return ""
			}
			return rest[off+end+1:]
		}
		if end < 0 {
			break
		}
		off += end + 1
	}
	return s
}

func mdBlocks(w *textBuilder, n ast.Node, src []byte, indent string) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch b := c.(type) {
		case *ast.Heading:
			w.heading(mdInline(b, src))
		case *ast.Paragraph, *ast.TextBlock:
			w.block(indent + cleanLine(strings.Join(strings.Fields(mdInline(b, src)), " ")))
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			w.block(mdLines(b, src))
		case *ast.HTMLBlock:
			raw := mdLines(b, src)
			if b.HasClosure() {
				raw += "\n" + string(b.ClosureLine.Value(src))
			}
			if t, err := extractHTML([]byte(raw)); err == nil && t.Body != "" {
				w.block(t.Body)
			}
		case *ast.List:
			var items []string
			mdList(&items, b, src, indent)
			w.block(strings.Join(items, "\n"))
		case *ast.Blockquote:
			mdBlocks(w, b, src, indent)
		case *east.Table:
			var rows []string
			for r := b.FirstChild(); r != nil; r = r.NextSibling() {
				var cells []string
				for cell := r.FirstChild(); cell != nil; cell = cell.NextSibling() {
					cells = append(cells, strings.Join(strings.Fields(mdInline(cell, src)), " "))
				}
				rows = append(rows, cleanLine(strings.Join(cells, " | ")))
			}
			w.block(strings.Join(rows, "\n"))
		case *ast.ThematicBreak:
		default:
			mdBlocks(w, c, src, indent)
		}
	}
}

// mdList renders list items as "- text" lines, nested lists indented.
func mdList(items *[]string, list *ast.List, src []byte, indent string) {
	for item := list.FirstChild(); item != nil; item = item.NextSibling() {
		var parts []string
		for c := item.FirstChild(); c != nil; c = c.NextSibling() {
			if sub, ok := c.(*ast.List); ok {
				if len(parts) > 0 {
					*items = append(*items, cleanLine(indent+"- "+strings.Join(parts, " ")))
					parts = nil
				}
				mdList(items, sub, src, indent+"  ")
				continue
			}
			if _, ok := c.(*ast.FencedCodeBlock); ok {
				parts = append(parts, mdLines(c, src))
				continue
			}
			parts = append(parts, strings.Join(strings.Fields(mdInline(c, src)), " "))
		}
		if len(parts) > 0 {
			*items = append(*items, cleanLine(indent+"- "+strings.Join(parts, " ")))
		}
	}
}

// mdLines returns the raw lines of a code or HTML block.
func mdLines(n ast.Node, src []byte) string {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.WriteString(cleanLine(string(seg.Value(src))))
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// mdInline returns the text of n's inline content.
func mdInline(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch t := c.(type) {
			case *ast.Text:
				b.Write(unescapeMarkdown(t.Segment.Value(src)))
				if t.HardLineBreak() {
					b.WriteByte('\n')
				} else if t.SoftLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(unescapeMarkdown(t.Value))
			case *ast.AutoLink:
				b.Write(t.Label(src))
			case *ast.RawHTML:
				// Inline tags carry no text.
			case *ast.Image:
				walk(t) // the alt text
			default:
				if c.Type() == ast.TypeBlock {
					b.WriteByte(' ')
				}
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

func unescapeMarkdown(b []byte) []byte {
	return util.ResolveNumericReferences(util.ResolveEntityNames(util.UnescapePunctuations(b)))
}

// --- HTML ---

// htmlSkipped elements carry no readable text.
var htmlSkipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Svg: true, atom.Iframe: true,
	atom.Object: true, atom.Canvas: true, atom.Head: true, atom.Button: true, atom.Select: true, atom.Math: true,
}

// htmlBlocks end the running paragraph.
var htmlBlocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true, atom.Header: true,
	atom.Footer: true, atom.Aside: true, atom.Nav: true, atom.Ul: true, atom.Ol: true, atom.Li: true, atom.Dl: true,
	atom.Dt: true, atom.Dd: true, atom.Table: true, atom.Tr: true, atom.Blockquote: true, atom.Pre: true, atom.Hr: true,
	atom.Br: true, atom.Figure: true, atom.Figcaption: true, atom.Form: true, atom.Fieldset: true, atom.Address: true,
	atom.Details: true, atom.Summary: true, atom.Caption: true, atom.Body: true, atom.Html: true, atom.Thead: true,
	atom.Tbody: true, atom.Tfoot: true,
}

var htmlHeadings = map[atom.Atom]bool{atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true}

// extractHTML returns an HTML page's readable text: scripts, styles and
// other non-text elements dropped, headings marked, block elements as
// paragraphs, list items as "- " lines, table cells joined by " | ".
func extractHTML(data []byte) (*Text, error) {
	root, err := html.Parse(strings.NewReader(decodeText(data)))
	if err != nil {
		return nil, hub.Errorf(hub.EINVALID, "The HTML could not be read.")
	}
	w := &textBuilder{}
	var para strings.Builder
	flush := func() {
		w.inline(para.String())
		para.Reset()
	}
	var title string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			para.WriteString(n.Data)
			return
		case html.ElementNode:
			if n.DataAtom == atom.Head && title == "" {
				title = htmlTitle(n)
			}
			if htmlSkipped[n.DataAtom] {
				return
			}
			switch {
			case htmlHeadings[n.DataAtom]:
				flush()
				w.heading(htmlText(n))
				return
			case n.DataAtom == atom.Pre:
				flush()
				w.text(htmlText(n))
				return
			case n.DataAtom == atom.Li:
				flush()
				para.WriteString("- ")
			case n.DataAtom == atom.Td || n.DataAtom == atom.Th:
				if para.Len() > 0 {
					para.WriteString(" | ")
				}
			case n.DataAtom == atom.Img:
				for _, a := range n.Attr {
					if a.Key == "alt" && strings.TrimSpace(a.Val) != "" {
						para.WriteString(" " + a.Val + " ")
					}
				}
			case htmlBlocks[n.DataAtom]:
				flush()
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && (htmlBlocks[n.DataAtom] || n.DataAtom == atom.Li) {
			flush()
		}
	}
	walk(root)
	flush()
	t := w.done()
	if title != "" && !hasHeading(t) {
		// A page without headings is titled by its <title>.
		w2 := &textBuilder{}
		w2.heading(title)
		w2.block(t.Body)
		t = w2.done()
	}
	return t, nil
}

func hasHeading(t *Text) bool {
	for _, m := range t.Marks {
		if m.Heading != "" {
			return true
		}
	}
	return false
}

// htmlTitle returns the text of the <title> under n.
func htmlTitle(n *html.Node) string {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.Title {
			var b strings.Builder
			for t := c.FirstChild; t != nil; t = t.NextSibling {
				if t.Type == html.TextNode {
					b.WriteString(t.Data)
				}
			}
			return strings.Join(strings.Fields(b.String()), " ")
		}
		if t := htmlTitle(c); t != "" {
			return t
		}
	}
	return ""
}

// htmlText returns the text under n, skipping non-text elements.
func htmlText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			return
		}
		if n.Type == html.ElementNode && htmlSkipped[n.DataAtom] {
			return
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Br {
			b.WriteByte('\n')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// --- PDF ---

// extractPDF returns the text of a PDF, page by page: glyphs are put back
// into lines by position, a space where the gap between glyphs is wider
// than a fifth of the font size, and a paragraph break where lines are
// further apart than usual.
func extractPDF(data []byte) (t *Text, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, hub.Errorf(hub.EINVALID, "The PDF could not be read (%v).", r)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "encrypt") || strings.Contains(msg, "password") {
			return nil, hub.Errorf(hub.EINVALID, "The PDF is encrypted; upload it without a password.")
		}
		return nil, hub.Errorf(hub.EINVALID, "The PDF could not be read: %s.", msg)
	}
	w := &textBuilder{}
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		body := pdfPageText(p)
		if strings.TrimSpace(body) == "" {
			continue
		}
		w.page(i)
		w.text(body)
	}
	return w.done(), nil
}

// pdfPageText rebuilds one page's text from its positioned glyphs, falling
// back to the content stream's plain text.
func pdfPageText(p pdf.Page) (out string) {
	defer func() {
		if r := recover(); r != nil {
			out, _ = p.GetPlainText(nil)
		}
	}()
	glyphs := p.Content().Text
	if len(glyphs) == 0 {
		s, _ := p.GetPlainText(nil)
		return s
	}
	var b strings.Builder
	var lineY, lineSize, prevEnd float64
	var prevLast rune
	started := false
	for _, g := range glyphs {
		// Line ends are found from positions; the reader's own "\n" glyphs
		// (after TJ arrays) would double them.
		g.S = strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, g.S)
		if g.S == "" {
			continue
		}
		size := math.Max(g.FontSize, 1)
		first, _ := utf8.DecodeRuneInString(g.S)
		switch {
		case !started:
			started = true
		case math.Abs(g.Y-lineY) > 0.5*math.Max(size, lineSize) || g.X < prevEnd-2*size:
			// A new line; further down than a line and a half starts a
			// paragraph.
			gap := lineY - g.Y
			if gap > 1.8*math.Max(size, lineSize) || gap < -size {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		case g.X-prevEnd > 0.2*size && !unicode.IsSpace(prevLast) && !unicode.IsSpace(first):
			b.WriteByte(' ')
		}
		if math.Abs(g.Y-lineY) > 0.5*math.Max(size, lineSize) || b.Len() == 0 {
			lineY, lineSize = g.Y, size
		}
		b.WriteString(g.S)
		prevEnd = g.X + g.W
		prevLast, _ = utf8.DecodeLastRuneInString(g.S)
	}
	return b.String()
}
