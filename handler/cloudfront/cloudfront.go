// Package cloudfront purges variant paths from a CloudFront distribution when their original
// changes (handler.Invalidator over aws-sdk-go-v2).
package cloudfront

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/imgorigin/imgorigin/handler"
)

// Invalidator creates one invalidation per call for the given paths.
type Invalidator struct {
	Client         *cf.Client
	DistributionID string
}

var _ handler.Invalidator = (*Invalidator)(nil)

// Invalidate purges paths (URL paths such as "/800x600/a%20b.jpg") in one CreateInvalidation.
// The caller reference is derived from the paths and the time, so a Lambda retry of the same
// event a moment later makes a new invalidation rather than failing.
func (i *Invalidator) Invalidate(ctx context.Context, paths []string) error {
	sum := sha256.Sum256([]byte(strings.Join(paths, "\n")))
	ref := strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + hex.EncodeToString(sum[:8])
	_, err := i.Client.CreateInvalidation(ctx, &cf.CreateInvalidationInput{
		DistributionId: aws.String(i.DistributionID),
		InvalidationBatch: &types.InvalidationBatch{
			CallerReference: aws.String(ref),
			Paths:           &types.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	})
	return err
}
