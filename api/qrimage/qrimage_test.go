package qrimage

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"testing"
)

func TestPNG(t *testing.T) {
	b, err := PNG("2@ABC123,XYZ,456")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != PNGSize {
		t.Errorf("size %v", img.Bounds())
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	b, err := SVG("2@ABC123,XYZ,456")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		ViewBox string `xml:"viewBox,attr"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName.Local != "svg" || doc.ViewBox == "" || len(doc.Path.D) < 100 {
		t.Errorf("svg %.200s", b)
	}
}
