// Command prewarm is the Lambda function subscribed to the uploads topic: for each original
// created under ORIGINALS_PREFIX it makes every PREWARM_SIZES variant. Build with -tags
// lambda.norpc.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgorigin/imgorigin/cmd/internal/app"
	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/prewarm"
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
	inv, err := app.Invalidator(context.Background(), cfg)
	if err != nil {
		app.Fatal(log, "cloudfront", err)
	}
	lambda.Start(prewarm.Handler(app.Handler(cfg, originals, variants, inv, log), log))
}
