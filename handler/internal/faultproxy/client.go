package faultproxy

import (
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imgorigin/imgorigin/handler/internal/s3test"
)

// ClientOptions are the retry and time-out settings of s3store.NewClient; the zero value of
// each field takes s3store's value. Tests shorten the time-outs so that a slow server is
// "beyond the client's time-outs" in a second rather than in thirty.
type ClientOptions struct {
	MaxAttempts           int           // 3
	MaxBackoff            time.Duration // 2s
	DialTimeout           time.Duration // 3s
	ResponseHeaderTimeout time.Duration // 10s
	Timeout               time.Duration // 30s: the whole request, body included
}

func (o ClientOptions) withDefaults() ClientOptions {
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 3
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 2 * time.Second
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 3 * time.Second
	}
	if o.ResponseHeaderTimeout == 0 {
		o.ResponseHeaderTimeout = 10 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	return o
}

// NewClient is an S3 client for endpoint (the proxy's URL) built like s3store.NewClient:
// the standard retryer with bounded attempts and backoff, a transport with dial and response
// header time-outs, an overall request time-out, path-style addressing, checksums only when
// required; with the test server's static credentials instead of the SDK's chain.
func NewClient(endpoint string, o ClientOptions) *s3.Client {
	o = o.withDefaults()
	return s3.New(s3.Options{
		Region:       s3test.Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, ""),
		Retryer: retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = o.MaxAttempts
			so.MaxBackoff = o.MaxBackoff
		}),
		HTTPClient: &http.Client{
			Transport: &http.Transport{
				DialContext:           (&net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
				MaxIdleConnsPerHost:   64,
				IdleConnTimeout:       90 * time.Second,
				ResponseHeaderTimeout: o.ResponseHeaderTimeout,
			},
			Timeout: o.Timeout,
		},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}
