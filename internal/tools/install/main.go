// Command install makes sure each named tool is there at the version pinned in tools.env
// (`make tools` runs it before the tests, so that no test spends its time-out building one).
//
//	go run ./internal/tools/install versitygw aws-lambda-rie
package main

import (
	"fmt"
	"os"

	"github.com/imgorigin/imgorigin/internal/tools"
)

func main() {
	for _, name := range os.Args[1:] {
		path, err := tools.Binary(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "tools:", err)
			os.Exit(1)
		}
		fmt.Println(name+":", path)
	}
}
