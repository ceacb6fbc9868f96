package handler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// TestToHTTPError checks each error's status as the handler meets it (wrapped, and through
// storageErr), and that no text but a 400's carries the error's detail.
func TestToHTTPError(t *testing.T) {
	const secret = "s3.amazonaws.com 10.0.0.7 originals/private.jpg"
	_, malformed := variantpath.Parse("/800x600/../x.jpg")
	for _, tc := range []struct {
		err  error
		code int
	}{
		{fmt.Errorf("%w: POST", errMethod), 405},
		{malformed, 400},
		{fmt.Errorf("%w: 801x600", errSizeNotAllowed), 400},
		{storageErr("get original", fmt.Errorf("%s: %w", secret, fs.ErrNotExist)), 404},
		{fmt.Errorf("%s: %w", secret, ErrUnsupported), 415},
		{fmt.Errorf("%s: %w", secret, ErrTooLarge), 422},
		{storageErr("get original", fmt.Errorf("%s: %w", secret, ErrTooLarge)), 422},
		{fmt.Errorf("%s: %w", secret, ErrInvalid), 422},
		{storageErr("put variant", fmt.Errorf("%s: %w", secret, context.DeadlineExceeded)), 504},
		{fmt.Errorf("%s: %w", secret, context.Canceled), 499},
		{storageErr("get variant", fmt.Errorf("%s: %w", secret, ErrUnavailable)), 503},
		{storageErr("get variant", errors.New(secret)), 502},
		{fmt.Errorf("panic: %s", secret), 500},
	} {
		code, msg := toHTTPError(tc.err)
		if code != tc.code {
			t.Errorf("%v: status %d, want %d", tc.err, code, tc.code)
		}
		if msg == "" || strings.Contains(msg, secret) {
			t.Errorf("%v: public text %q, want a short text without the detail", tc.err, msg)
		}
		if code == 400 && msg != tc.err.Error() {
			t.Errorf("%v: 400 text %q, want the parser's reason", tc.err, msg)
		}
	}
	if err := storageErr("get", nil); err != nil {
		t.Errorf("storageErr(nil) = %v, want nil", err)
	}
}
