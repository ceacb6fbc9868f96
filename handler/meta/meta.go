// Package meta builds the document served at GET /meta/<path>: what a page needs before a
// variant's bytes arrive (the intrinsic size, a placeholder, the srcset), and the focal point a
// later miss reuses so that every size of one aspect is cut from the same box. It is pure: the
// caller decodes, stores and serves.
package meta

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"net/url"
	"strconv"
	"strings"

	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// Version is the document's layout. A stored document of another version is made again.
const Version = 1

// ContentType is the document's media type, as served and as stored.
const ContentType = "application/json"

// KeyPrefix is the first segment of the document's key in the variants bucket and of its URL.
// No size parses as "meta", so it cannot collide with a variant key "<W>x<H>/<path>".
const KeyPrefix = "meta"

// Key is the bucket key of the document of the original at path: "meta/<path>".
func Key(path string) string { return KeyPrefix + "/" + path }

// Doc is the /meta document.
type Doc struct {
	Version int    `json:"version"`
	Path    string `json:"path"`   // the original's key
	Width   int    `json:"width"`  // upright width of the original, orientation applied
	Height  int    `json:"height"` // upright height
	Format  string `json:"format"` // the original's format: jpeg, png, gif, webp, heic, avif
	Focus   Focus  `json:"focus"`
	// Placeholder is the BlurHash of the whole upright image; each aspect has its own.
	Placeholder string   `json:"placeholder,omitempty"`
	Aspects     []Aspect `json:"aspects"`
}

// Focus is the focal point every crop is centred on, and where it came from.
type Focus struct {
	X      float64      `json:"x"` // fraction of the upright width, from the left
	Y      float64      `json:"y"` // fraction of the upright height, from the top
	Source focus.Source `json:"source"`
}

// Point is the focal point as the focus package takes it.
func (f Focus) Point() focus.Point { return focus.Point{X: f.X, Y: f.Y} }

// Aspect is one aspect ratio of the allowed sizes: the box every size of it is cut from, its
// placeholder, its sizes and a ready srcset.
type Aspect struct {
	Ratio       string  `json:"ratio"` // reduced, "4:3"
	Box         Box     `json:"box"`   // in pixels of the upright original
	Placeholder string  `json:"placeholder,omitempty"`
	Srcset      string  `json:"srcset"` // "/800x600/a.jpg 800w, /400x300/a.jpg 400w, ..."
	Sizes       []Entry `json:"sizes"`  // largest first
}

// Box is a crop box in the document: pixels of the upright original.
type Box struct {
	X      int `json:"x"`
	Y      int `json:"y"`
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Entry is one allowed size and the URL of its variant.
type Entry struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	URL    string `json:"url"`
}

// Input is what Build needs, all of it from the one decode of the original.
type Input struct {
	Path          string // the original's key, already checked (variantpath.CheckPath)
	Width, Height int    // upright
	Format        string
	Focus         focus.Point
	Source        focus.Source
	Sizes         []size.Size // the allowlist, in configuration order
	// Thumb is a small sRGB copy of the upright image (about ThumbWidth wide) for the placeholders;
	// nil leaves them out.
	Thumb image.Image
	// Base is put before every URL: "" for root-relative URLs ("/800x600/a.jpg"), or an origin
	// such as "https://img.example.com".
	Base string
}

// Build makes the document: one aspect per distinct ratio of the sizes, in the order the
// ratios first appear, each with its box (focus.Crop), its sizes largest first and its srcset.
func Build(in Input) (Doc, error) {
	if in.Width <= 0 || in.Height <= 0 {
		return Doc{}, fmt.Errorf("meta: image of %dx%d", in.Width, in.Height)
	}
	if err := variantpath.CheckPath(in.Path); err != nil {
		return Doc{}, err
	}
	d := Doc{
		Version: Version, Path: in.Path, Width: in.Width, Height: in.Height, Format: in.Format,
		Focus: Focus{X: in.Focus.X, Y: in.Focus.Y, Source: in.Source},
	}
	if in.Thumb != nil {
		ph, err := Placeholder(in.Thumb)
		if err != nil {
			return Doc{}, err
		}
		d.Placeholder = ph
	}
	escaped := escapePath(in.Path)
	index := map[[2]int]int{}
	for _, s := range in.Sizes {
		r := ratio(s)
		i, ok := index[r]
		if !ok {
			b := focus.Crop(in.Width, in.Height, s.W, s.H, in.Focus)
			a := Aspect{
				Ratio: strconv.Itoa(r[0]) + ":" + strconv.Itoa(r[1]),
				Box:   Box{b.X, b.Y, b.W, b.H},
			}
			if in.Thumb != nil {
				ph, err := PlaceholderOf(in.Thumb, b, in.Width, in.Height)
				if err != nil {
					return Doc{}, err
				}
				a.Placeholder = ph
			}
			i = len(d.Aspects)
			index[r] = i
			d.Aspects = append(d.Aspects, a)
		}
		a := &d.Aspects[i]
		e := Entry{Width: s.W, Height: s.H, URL: in.Base + "/" + s.String() + "/" + escaped}
		// largest first, whatever the configuration order
		j := len(a.Sizes)
		for j > 0 && a.Sizes[j-1].Width < e.Width {
			j--
		}
		a.Sizes = append(a.Sizes[:j], append([]Entry{e}, a.Sizes[j:]...)...)
	}
	for i := range d.Aspects {
		a := &d.Aspects[i]
		parts := make([]string, len(a.Sizes))
		for j, e := range a.Sizes {
			parts[j] = e.URL + " " + strconv.Itoa(e.Width) + "w"
		}
		a.Srcset = strings.Join(parts, ", ")
	}
	return d, nil
}

// Marshal is the stored and served form: compact JSON and a final newline.
func (d Doc) Marshal() []byte {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // only plain fields: cannot fail
	}
	return append(b, '\n')
}

// ErrStale is wrapped by Parse for a document that is of another version or does not hold
// together: the caller makes it again, as for a missing one.
var ErrStale = errors.New("meta: stale or damaged document")

// Parse reads a stored document back, for a miss that reuses its focal point. It checks what
// the miss relies on: the version, the dimensions, the focal point in range, a known source.
func Parse(b []byte) (Doc, error) {
	var d Doc
	if err := json.Unmarshal(b, &d); err != nil {
		return Doc{}, fmt.Errorf("%w: %v", ErrStale, err)
	}
	switch {
	case d.Version != Version:
		return Doc{}, fmt.Errorf("%w: version %d, want %d", ErrStale, d.Version, Version)
	case d.Width <= 0 || d.Height <= 0:
		return Doc{}, fmt.Errorf("%w: %dx%d", ErrStale, d.Width, d.Height)
	case !(d.Focus.X >= 0 && d.Focus.X <= 1 && d.Focus.Y >= 0 && d.Focus.Y <= 1):
		return Doc{}, fmt.Errorf("%w: focal point %g,%g", ErrStale, d.Focus.X, d.Focus.Y)
	}
	switch d.Focus.Source {
	case focus.FromMetadata, focus.FromAttention, focus.FromEntropy, focus.FromCentre:
	default:
		return Doc{}, fmt.Errorf("%w: focal point source %q", ErrStale, d.Focus.Source)
	}
	return d, nil
}

// ratio is s's aspect ratio in lowest terms.
func ratio(s size.Size) [2]int {
	a, b := s.W, s.H
	for b != 0 {
		a, b = b, a%b
	}
	return [2]int{s.W / a, s.H / a}
}

// escapePath escapes each segment of a key for a URL path, keeping the slashes.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
