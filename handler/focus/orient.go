package focus

// Stored maps b, a box in the upright image of uw x uh, to the same pixels in the image as
// stored, before EXIF orientation o (1-8) is applied: the pipeline cuts the box before it
// rotates, on the smaller image. Orientations 5-8 swap the axes, so the stored image is uh x uw.
// An unknown orientation is taken as 1.
func (b Box) Stored(uw, uh, o int) Box {
	switch o {
	case 2: // mirrored left-right
		return Box{uw - b.X - b.W, b.Y, b.W, b.H}
	case 3: // rotated 180
		return Box{uw - b.X - b.W, uh - b.Y - b.H, b.W, b.H}
	case 4: // mirrored top-bottom
		return Box{b.X, uh - b.Y - b.H, b.W, b.H}
	case 5: // transposed
		return Box{b.Y, b.X, b.H, b.W}
	case 6: // shown rotated 90 clockwise
		return Box{b.Y, uw - b.X - b.W, b.H, b.W}
	case 7: // transversed
		return Box{uh - b.Y - b.H, uw - b.X - b.W, b.H, b.W}
	case 8: // shown rotated 90 anticlockwise
		return Box{uh - b.Y - b.H, b.X, b.H, b.W}
	}
	return b
}

// Scale maps b, a box in an image of w x h, to the same region of a resized copy of that image
// of tw x th (such as the one JPEG shrink-on-load decodes): its edges rounded outwards, so that
// it still covers the region, and clamped into the copy. The caller's final resize trims the
// pixel of rounding this may add.
func (b Box) Scale(w, h, tw, th int) Box {
	if w <= 0 || h <= 0 || tw <= 0 || th <= 0 {
		return Box{}
	}
	x0 := int(int64(b.X) * int64(tw) / int64(w))
	y0 := int(int64(b.Y) * int64(th) / int64(h))
	x1 := int((int64(b.X+b.W)*int64(tw) + int64(w) - 1) / int64(w))
	y1 := int((int64(b.Y+b.H)*int64(th) + int64(h) - 1) / int64(h))
	x0, y0 = min(max(x0, 0), tw-1), min(max(y0, 0), th-1)
	x1, y1 = min(max(x1, x0+1), tw), min(max(y1, y0+1), th)
	return Box{x0, y0, x1 - x0, y1 - y0}
}
