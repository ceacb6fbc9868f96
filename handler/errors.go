package handler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/imgorigin/imgorigin/handler/size"
)

// Errors a Store or Resizer wraps so that the handler can choose the status (toHTTPError).
var (
	// ErrUnavailable: the store cannot be reached or asks us to slow down, after retries (503).
	ErrUnavailable = errors.New("storage unavailable")
	// ErrPrecondition: a conditional Put lost a race with another writer.
	ErrPrecondition = errors.New("precondition failed")
	// ErrUnsupported: the original is not an image format the service reads (415).
	ErrUnsupported = errors.New("unsupported image format")
	// ErrInvalid: the original is corrupt or truncated (422).
	ErrInvalid = errors.New("corrupt or unreadable image")
	// ErrTooLarge: the original is over a limit: bytes, pixels or frames (422).
	ErrTooLarge = errors.New("image over the limits")
)

// The handler's own errors.
var (
	// errMethod: a method other than GET or HEAD (405).
	errMethod = errors.New("method not allowed")
	// errSizeNotAllowed: a well-formed size outside the allowlist (400).
	errSizeNotAllowed = errors.New("size not allowed")
	// errStorage marks any other failure of a Store (502).
	errStorage = errors.New("storage error")
)

// toHTTPError maps err to the HTTP status and the short text the client sees, as net/http's
// toHTTPError does. Only a 400's text comes from the error: the parsers (size, variantpath)
// and the allowlist write it for the client, quoting at most a clipped bit of the request.
// Every other text is fixed here; the error's detail goes to the request's log line only.
func toHTTPError(err error) (status int, msg string) {
	switch {
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, "method not allowed"
	case errors.Is(err, size.ErrMalformed), errors.Is(err, errSizeNotAllowed):
		return http.StatusBadRequest, err.Error()
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

// storageErr marks a store failure as such (502), keeping not-found, lost races, time-outs and
// unavailability recognisable; nil stays nil.
func storageErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrUnavailable), errors.Is(err, ErrTooLarge),
		errors.Is(err, ErrPrecondition), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, errStorage, err)
}
