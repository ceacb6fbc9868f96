// Command origin is the Lambda function behind the function URL: GET/HEAD /<W>x<H>/<path>,
// streamed back through lambdaurl (invoke mode RESPONSE_STREAM). Build with -tags lambda.norpc.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/imgorigin/imgorigin/internal/app"
)

func main() {
	log := app.Logger()
	lambdaurl.Start(app.LambdaHandler(context.Background(), log))
}
