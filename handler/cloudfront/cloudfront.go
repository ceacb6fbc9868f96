// Package cloudfront purges variant paths from a CloudFront distribution when their original
// changes (handler.Invalidator over aws-sdk-go-v2).
package cloudfront

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/imgorigin/imgorigin/handler"
)

// Retry defaults. CloudFront answers TooManyInvalidationsInProgress while a distribution has
// too many paths in progress, which clears as earlier invalidations complete (typically within
// a minute or two), so the waits grow towards MaxDelay rather than staying short. Reserve is
// kept free at the end of the invocation so that the record fails with a clear error, and
// Lambda retries it, instead of the function being killed at its timeout.
const (
	DefaultFirstDelay = time.Second
	DefaultMaxDelay   = 16 * time.Second
	DefaultReserve    = 2 * time.Second
	// Without a deadline (a local run) the attempts are bounded instead.
	DefaultMaxAttempts = 8
)

// ErrOutOfTime wraps the last CloudFront error when the remaining time of the invocation does
// not allow another attempt.
var ErrOutOfTime = errors.New("cloudfront: no time left to retry the invalidation")

// Invalidator creates one invalidation per call for the given paths, retrying throttling and
// TooManyInvalidationsInProgress with exponential backoff and full jitter while the context's
// deadline (the Lambda invocation's) leaves room. Zero durations mean the defaults above.
type Invalidator struct {
	Client         *cf.Client
	DistributionID string

	FirstDelay  time.Duration // longest wait before the second attempt
	MaxDelay    time.Duration // longest wait between any two attempts
	Reserve     time.Duration // time left unused before the deadline
	MaxAttempts int           // only when the context has no deadline
}

var _ handler.Invalidator = (*Invalidator)(nil)

// Invalidate purges paths (URL paths such as "/800x600/a%20b.jpg") in one CreateInvalidation.
// The caller reference is derived from the paths and the time of this call, and kept across
// its retries: should an attempt succeed without its answer arriving, the next one names the
// same invalidation rather than making a second. A Lambda retry of the whole event a moment
// later makes a new invalidation rather than failing.
func (i *Invalidator) Invalidate(ctx context.Context, paths []string) error {
	sum := sha256.Sum256([]byte(strings.Join(paths, "\n")))
	ref := strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + hex.EncodeToString(sum[:8])
	in := &cf.CreateInvalidationInput{
		DistributionId: aws.String(i.DistributionID),
		InvalidationBatch: &types.InvalidationBatch{
			CallerReference: aws.String(ref),
			Paths:           &types.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	}
	first, maxDelay, reserve := or(i.FirstDelay, DefaultFirstDelay), or(i.MaxDelay, DefaultMaxDelay), or(i.Reserve, DefaultReserve)
	maxAttempts := i.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	deadline, hasDeadline := ctx.Deadline()
	for attempt := 1; ; attempt++ {
		// One retry loop with one clock: the SDK's own retries (up to 3 attempts, up to 20 s
		// apart) would not know how much time the invocation has left.
		_, err := i.Client.CreateInvalidation(ctx, in, func(o *cf.Options) { o.Retryer = aws.NopRetryer{} })
		if err == nil {
			return nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return fmt.Errorf("cloudfront: create invalidation (attempt %d): %w", attempt, err)
		}
		// Full jitter: a uniformly random wait up to the exponential step, so that many
		// functions refused at the same moment do not come back at the same moment.
		wait := rand.N(backoffStep(first, maxDelay, attempt) + 1)
		if hasDeadline {
			// The last attempt may come sooner than drawn, never later than Reserve before
			// the deadline.
			left := time.Until(deadline) - reserve
			if left <= 0 {
				return fmt.Errorf("%w after %d attempts: %w", ErrOutOfTime, attempt, err)
			}
			wait = min(wait, left)
		} else if attempt >= maxAttempts {
			return fmt.Errorf("%w after %d attempts: %w", ErrOutOfTime, attempt, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("cloudfront: create invalidation (attempt %d): %w", attempt, errors.Join(err, ctx.Err()))
		case <-t.C:
		}
	}
}

// backoffStep is the longest wait after the given attempt (1, 2, ...): first, doubling each
// time, at most maxDelay.
func backoffStep(first, maxDelay time.Duration, attempt int) time.Duration {
	step := first
	for i := 1; i < attempt && step < maxDelay; i++ {
		step *= 2
	}
	return min(step, maxDelay)
}

// retryable: CloudFront's TooManyInvalidationsInProgress, throttling, and what the SDK itself
// retries (5xx answers, connection resets, timeouts).
func retryable(err error) bool {
	var tooMany *types.TooManyInvalidationsInProgress
	if errors.As(err, &tooMany) {
		return true
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
