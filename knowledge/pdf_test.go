package knowledge_test

import (
	"bytes"
	"fmt"
	"strings"
)

// makePDF writes a PDF with one page per element of pages; each line is
// drawn with Helvetica 12 pt, 16 pt apart; an empty line leaves a gap (a
// paragraph break). Words inside a line are separated by TJ kerning (as
// TeX does) when kern is true, else by spaces.
func makePDF(pages [][]string, kern bool) []byte {
	var objs []string
	// 1 catalog, 2 pages, 3 font, then per page: page object, content stream.
	widths := strings.TrimSpace(strings.Repeat("500 ", 126-32+1))
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>")
	var kids []string
	for i := range pages {
		kids = append(kids, fmt.Sprintf("%d 0 R", 4+2*i))
	}
	objs = append(objs, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	objs = append(objs, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 32 /LastChar 126 /Widths ["+widths+"] >>")
	for i, lines := range pages {
		var cs strings.Builder
		cs.WriteString("BT /F1 12 Tf\n")
		y := 720
		for _, line := range lines {
			if line == "" {
				y -= 24
				continue
			}
			fmt.Fprintf(&cs, "1 0 0 1 72 %d Tm\n", y)
			esc := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`)
			if kern {
				var parts []string
				for _, w := range strings.Fields(line) {
					parts = append(parts, "("+esc.Replace(w)+")")
				}
				fmt.Fprintf(&cs, "[%s] TJ\n", strings.Join(parts, " -400 "))
			} else {
				fmt.Fprintf(&cs, "(%s) Tj\n", esc.Replace(line))
			}
			y -= 16
		}
		cs.WriteString("ET\n")
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		objs = append(objs, fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", cs.Len(), cs.String()))
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
