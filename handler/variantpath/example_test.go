package variantpath_test

import (
	"fmt"

	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

func Example() {
	v := variantpath.Variant{Format: variantpath.Original, Size: size.Size{W: 800, H: 600}, Path: "shop/red shoe+1.jpg"}
	fmt.Println(v.Key())
	fmt.Println(v.URLPath())

	back, err := variantpath.ParseEscaped(v.URLPath())
	fmt.Println(back == v, err)
	back, err = variantpath.Parse("/800x600/shop/red shoe+1.jpg") // net/http's decoded URL.Path
	fmt.Println(back == v, err)
	_, err = variantpath.Parse("/800x600/../secret.jpg")
	fmt.Println(err)
	// Output:
	// original/800x600/shop/red shoe+1.jpg
	// /800x600/shop/red%20shoe+1.jpg
	// true <nil>
	// true <nil>
	// malformed request: ".." segment in image path
}
