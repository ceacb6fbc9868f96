// Command origin is the Lambda function behind the function URL: GET/HEAD /<W>x<H>/<path>,
// streamed back through lambdaurl (invoke mode RESPONSE_STREAM). Build with -tags lambda.norpc.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/imgorigin/imgorigin/cmd/internal/app"
	"github.com/imgorigin/imgorigin/handler/config"
)

func main() {
	log := app.Logger()
	cfg, err := config.Load(nil)
	if err != nil {
		app.Fatal(log, "configuration", err)
	}
	originals, variants, err := app.Stores(context.Background(), cfg, "", "")
	if err != nil {
		app.Fatal(log, "storage", err)
	}
	lambdaurl.Start(app.Handler(cfg, originals, variants, nil, log))
}
