// Package qrimage renders WhatsApp linking QR codes as PNG and SVG.
package qrimage

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/skip2/go-qrcode"
)

// PNGSize is the edge length in pixels of rendered PNGs.
const PNGSize = 320

// PNG renders content as a PNG QR code.
func PNG(content string) ([]byte, error) {
	png, err := qrcode.Encode(content, qrcode.Medium, PNGSize)
	if err != nil {
		return nil, fmt.Errorf("qrimage: png: %w", err)
	}
	return png, nil
}

// SVG renders content as an SVG QR code: one path of dark modules (runs of
// a row merged into one rectangle) on a white square, quiet zone included.
func SVG(content string) ([]byte, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qrimage: svg: %w", err)
	}
	bits := q.Bitmap()
	n := strconv.Itoa(len(bits))
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + " " + n +
		`" width="` + strconv.Itoa(PNGSize) + `" height="` + strconv.Itoa(PNGSize) + `" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String()), nil
}
