package knowledge

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	hub "github.com/bizoshub/bizos"
)

// Chunking defaults.
const (
	DefaultChunkSize    = 1000 // characters
	DefaultChunkOverlap = 150  // characters
	DefaultMaxChunks    = 100000
)

// ChunkOptions size chunks, in characters (Unicode code points).
type ChunkOptions struct {
	// Size is the most characters a chunk holds (DefaultChunkSize when 0).
	Size int
	// Overlap is about how many characters of the end of a chunk the next
	// one repeats, starting at a sentence or word boundary
	// (DefaultChunkOverlap when 0; negative for none). At most half of Size.
	Overlap int
}

func (o ChunkOptions) normalize() ChunkOptions {
	if o.Size <= 0 {
		o.Size = DefaultChunkSize
	}
	if o.Size < 20 {
		o.Size = 20
	}
	switch {
	case o.Overlap == 0:
		o.Overlap = DefaultChunkOverlap
	case o.Overlap < 0:
		o.Overlap = 0
	}
	if o.Overlap > o.Size/2 {
		o.Overlap = o.Size / 2
	}
	return o
}

// span is a piece of the text: [start, end) in bytes, runes characters.
type span struct {
	start, end, runes int
}

// Split cuts a text into chunks of at most opts.Size characters. Chunks
// end at paragraph boundaries where they can, else at sentence, then word
// boundaries; each chunk after the first starts with about opts.Overlap
// characters of the previous one. Offsets index t.Body; headings and pages
// come from t.Marks.
func Split(t *Text, opts ChunkOptions) []hub.Chunk {
	opts = opts.normalize()
	units := splitUnits(t.Body, opts.Size)
	var out []hub.Chunk
	emit := func(start, end, newStart int) {
		// Trim the chunk to its text.
		for start < end {
			r, n := utf8.DecodeRuneInString(t.Body[start:])
			if !unicode.IsSpace(r) {
				break
			}
			start += n
		}
		for end > start {
			r, n := utf8.DecodeLastRuneInString(t.Body[:end])
			if !unicode.IsSpace(r) {
				break
			}
			end -= n
		}
		if start >= end {
			return
		}
		heading, page := marksAt(t.Marks, newStart)
		out = append(out, hub.Chunk{Position: len(out), StartOffset: start, EndOffset: end, Heading: heading, Page: page,
			Text: t.Body[start:end]})
	}
	i := 0
	start, runes := 0, 0 // the running chunk
	newStart := 0        // where its new (not overlapping) text starts
	for i < len(units) {
		u := units[i]
		if runes+u.runes <= opts.Size || runes == 0 {
			runes += u.runes
			i++
			continue
		}
		end := units[i-1].end
		emit(start, end, newStart)
		// The next chunk repeats the previous one's end, within what the
		// next unit leaves of the size.
		budget := min(opts.Overlap, opts.Size-u.runes)
		start, runes = overlapStart(t.Body, start, end, budget)
		newStart = end
	}
	if runes > 0 {
		emit(start, len(t.Body), newStart)
	}
	return out
}

// marksAt returns the heading and page in force at offset.
func marksAt(marks []Mark, offset int) (heading string, page int) {
	n := sort.Search(len(marks), func(i int) bool { return marks[i].Offset > offset })
	for i := n - 1; i >= 0 && (heading == "" || page == 0); i-- {
		if heading == "" && marks[i].Heading != "" {
			heading = marks[i].Heading
		}
		if page == 0 && marks[i].Page != 0 {
			page = marks[i].Page
		}
	}
	return heading, page
}

// overlapStart finds where the chunk after [start, end) begins: at most
// budget characters before end, at the first sentence start in that
// window, else at the first word start. It returns the offset and the
// characters from there to end.
func overlapStart(body string, start, end, budget int) (int, int) {
	if budget <= 0 {
		return end, 0
	}
	// Walk back budget runes.
	from, n := end, 0
	for from > start && n < budget {
		_, size := utf8.DecodeLastRuneInString(body[:from])
		from -= size
		n++
	}
	window := body[from:end]
	cut := -1
	if boundaryBefore(body, start, from, true) {
		cut = 0
	}
	for i := 0; cut < 0 && i < len(window); i++ {
		if c := window[i]; (c == '.' || c == '!' || c == '?' || c == '\n') && i+1 < len(window) && (window[i+1] == ' ' || window[i+1] == '\n') {
			cut = i + 1
		}
	}
	if cut >= 0 && strings.TrimFunc(window[cut:], unicode.IsSpace) == "" {
		cut = -1 // the only sentence start is the end
	}
	if cut < 0 {
		if boundaryBefore(body, start, from, false) {
			cut = 0
		} else if i := strings.IndexFunc(window, unicode.IsSpace); i >= 0 {
			cut = i
		} else {
			return end, 0
		}
	}
	// Skip the whitespace after the cut.
	for cut < len(window) {
		r, size := utf8.DecodeRuneInString(window[cut:])
		if !unicode.IsSpace(r) {
			break
		}
		cut += size
	}
	if cut >= len(window) {
		return end, 0
	}
	return from + cut, utf8.RuneCountInString(window[cut:])
}

// boundaryBefore reports whether offset at starts a sentence (sentence)
// or a word: it is the chunk's start, or what precedes it is whitespace
// after a sentence end (for sentence) or any whitespace (for a word).
func boundaryBefore(body string, start, at int, sentence bool) bool {
	if at <= start {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(body[:at])
	if !unicode.IsSpace(r) {
		return false
	}
	if !sentence {
		return true
	}
	before := strings.TrimRightFunc(body[start:at], func(r rune) bool { return r == ' ' || r == '\t' })
	if strings.HasSuffix(body[start:at], "\n") || before == "" {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(before)
	return last == '.' || last == '!' || last == '?'
}

// splitUnits cuts body into consecutive spans that cover it: paragraphs,
// and for paragraphs longer than size, sentences, then words, then runs of
// size characters.
func splitUnits(body string, size int) []span {
	var out []span
	for _, p := range cutAfter(body, 0, len(body), paragraphEnd) {
		if p.runes <= size {
			out = append(out, p)
			continue
		}
		for _, s := range cutAfter(body, p.start, p.end, sentenceEnd) {
			if s.runes <= size {
				out = append(out, s)
				continue
			}
			for _, w := range cutAfter(body, s.start, s.end, wordEnd) {
				if w.runes <= size {
					out = append(out, w)
					continue
				}
				out = append(out, hardSplit(body, w, size)...)
			}
		}
	}
	return out
}

// cutAfter splits body[start:end] after each boundary that next finds;
// next returns the offset just past the boundary starting the search at i,
// or -1.
func cutAfter(body string, start, end int, next func(s string, i int) int) []span {
	var out []span
	s := body[:end]
	for start < end {
		cut := next(s, start)
		if cut < 0 || cut >= end {
			cut = end
		}
		out = append(out, span{start: start, end: cut, runes: utf8.RuneCountInString(body[start:cut])})
		start = cut
	}
	return out
}

// paragraphEnd finds the end of a blank-line run after i.
func paragraphEnd(s string, i int) int {
	j := strings.Index(s[i:], "\n\n")
	if j < 0 {
		return -1
	}
	k := i + j
	for k < len(s) && s[k] == '\n' {
		k++
	}
	return k
}

// sentenceEnd finds the end of the whitespace after the next sentence
// (". ", "! ", "? ") or line end after i.
func sentenceEnd(s string, i int) int {
	for k := i; k < len(s); k++ {
		c := s[k]
		if c == '\n' || ((c == '.' || c == '!' || c == '?') && k+1 < len(s) && (s[k+1] == ' ' || s[k+1] == '\n')) {
			k++
			for k < len(s) && (s[k] == ' ' || s[k] == '\n' || s[k] == '\t') {
				k++
			}
			if k > i {
				return k
			}
		}
	}
	return -1
}

// wordEnd finds the end of the whitespace after the next word after i.
func wordEnd(s string, i int) int {
	j := strings.IndexAny(s[i:], " \t\n")
	if j < 0 {
		return -1
	}
	k := i + j
	for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n') {
		k++
	}
	return k
}

// hardSplit cuts a span into runs of size characters.
func hardSplit(body string, w span, size int) []span {
	var out []span
	start, n := w.start, 0
	for i := w.start; i < w.end; {
		_, sz := utf8.DecodeRuneInString(body[i:])
		i += sz
		n++
		if n == size || i == w.end {
			out = append(out, span{start: start, end: i, runes: n})
			start, n = i, 0
		}
	}
	return out
}

// Splitter implements hub.DocumentSplitter: Extract, then Split.
type Splitter struct {
	Options ChunkOptions
	// MaxChunks refuses documents that would make more chunks
	// (DefaultMaxChunks when 0).
	MaxChunks int
}

var _ hub.DocumentSplitter = (*Splitter)(nil)

// NewSplitter returns a Splitter with the given chunk sizes.
func NewSplitter(opts ChunkOptions) *Splitter { return &Splitter{Options: opts} }

// Split implements hub.DocumentSplitter.
func (s *Splitter) Split(ctx context.Context, doc *hub.Document, content []byte) ([]hub.Chunk, error) {
	t, err := Extract(doc.ContentType, content)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	chunks := Split(t, s.Options)
	limit := s.MaxChunks
	if limit <= 0 {
		limit = DefaultMaxChunks
	}
	if len(chunks) > limit {
		return nil, hub.Errorf(hub.EINVALID, "The document makes %d chunks; at most %d are allowed per document.", len(chunks), limit)
	}
	for i := range chunks {
		chunks[i].DocumentID, chunks[i].KnowledgeBaseID = doc.ID, doc.KnowledgeBaseID
	}
	if len(chunks) == 0 {
		return nil, hub.Errorf(hub.EINVALID, "No text could be extracted from the document.")
	}
	return chunks, nil
}

// String describes options, for logs.
func (o ChunkOptions) String() string {
	o = o.normalize()
	return fmt.Sprintf("size %d, overlap %d", o.Size, o.Overlap)
}
