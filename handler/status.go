package handler

import (
	"context"
	"errors"
	"io/fs"
	"net/http"

	"github.com/imgorigin/imgorigin/handler/size"
)

// errSizeNotAllowed is a well-formed size outside the allowlist (400).
var errSizeNotAllowed = errors.New("size not allowed")

// errStorage marks any other failure of a Store (502).
var errStorage = errors.New("storage error")

// status chooses the HTTP status for err and the text the client sees. The text never carries
// the error's detail: that goes to the log only.
func status(err error) (int, string) {
	switch {
	case errors.Is(err, size.ErrMalformed), errors.Is(err, errSizeNotAllowed):
		return http.StatusBadRequest, "" // the caller writes the reason, which is ours
	case errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound, "not found"
	case errors.Is(err, ErrUnsupported):
		return http.StatusUnsupportedMediaType, "the original is not a JPEG, PNG, GIF, WebP, AVIF or HEIC image"
	case errors.Is(err, ErrTooLarge):
		return http.StatusUnprocessableEntity, "the original is over the size limits"
	case errors.Is(err, ErrInvalid):
		return http.StatusUnprocessableEntity, "the original is corrupt or truncated"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "timed out"
	case errors.Is(err, context.Canceled):
		return 499, "client closed request" // nginx's code; the client is gone and reads nothing
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable, "storage unavailable, try again"
	case errors.Is(err, errStorage):
		return http.StatusBadGateway, "storage error"
	}
	return http.StatusInternalServerError, "internal error"
}
