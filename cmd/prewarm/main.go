// Command prewarm is the Lambda function subscribed to the uploads topic: for each original
// created under ORIGINALS_PREFIX it makes every PREWARM_SIZES variant. Build with -tags
// lambda.norpc.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgorigin/imgorigin/handler/prewarm"
	"github.com/imgorigin/imgorigin/internal/app"
)

func main() {
	log := app.Logger()
	lambda.Start(prewarm.Handler(app.LambdaHandler(context.Background(), log), log))
}
