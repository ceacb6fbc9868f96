// Command prewarm is the Lambda function subscribed to the uploads topic: for each original
// created under ORIGINALS_PREFIX it makes every PREWARM_SIZES variant and rebuilds stale ones;
// for each original deleted it deletes its variants. Build with -tags lambda.norpc.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgorigin/imgorigin/handler/s3event"
	"github.com/imgorigin/imgorigin/internal/app"
)

func main() {
	log := app.Logger()
	lambda.Start(s3event.Handler(app.LambdaHandler(context.Background(), log), log))
}
