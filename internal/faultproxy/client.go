package faultproxy

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imgorigin/imgorigin/handler/s3store"
	"github.com/imgorigin/imgorigin/internal/s3test"
)

// NewClient is an S3 client for endpoint (the proxy's URL) with s3store's retries and
// time-outs (o), path-style addressing and checksums only when required; with the test
// server's static credentials instead of the SDK's chain.
func NewClient(endpoint string, o s3store.ClientOptions) *s3.Client {
	return s3.New(s3.Options{
		Region:       s3test.Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  s3test.Credentials(),
		Retryer:      o.Retryer(),
		HTTPClient:   o.HTTPClient(),
	}, s3store.Checksums)
}
